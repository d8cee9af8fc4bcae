# R `survey` side of benchmarks/run.py (called with Rscript; not part of the package).
# Usage: Rscript _bench.R TASK INPUT_DIR OUTPUT_DIR REPEATS BUDGET_SECONDS
# Reads data.csv and spec.json (repw.csv for the bootstrap task), times REPEATS calls
# (fewer when the budget is used up), writes result.json (times, peak R heap above the
# level before the first call, from gc()) and answer.csv.
suppressPackageStartupMessages({library(survey); library(data.table); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
task <- args[1]; in_dir <- args[2]; out_dir <- args[3]
repeats <- as.integer(args[4]); budget <- as.numeric(args[5])
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
spec <- fromJSON(file.path(in_dir, "spec.json"), simplifyVector = FALSE)
df <- as.data.frame(fread(file.path(in_dir, "data.csv"), na.strings = c("", "NA")))

if (task == "rake") {
  vars <- names(spec$margins)
  for (v in vars) df[[v]] <- as.character(df[[v]])
  df$w0 <- spec$total / nrow(df)
  pop <- lapply(vars, function(v) {
    m <- spec$margins[[v]]
    d <- data.frame(names(m), as.numeric(unlist(m)), stringsAsFactors = FALSE)
    names(d) <- c(v, "Freq"); d
  })
  smp <- lapply(vars, function(v) as.formula(paste0("~", v)))
  call <- function() {
    des <- svydesign(ids = ~1, weights = ~w0, data = df)
    rk <- rake(des, smp, pop, control = list(maxit = spec$max_iter, epsilon = spec$tol, verbose = FALSE))
    data.frame(weight = as.numeric(weights(rk)))
  }
} else {
  ids <- unlist(spec$indicators); doms <- unlist(spec$domains)
  for (d in doms) df[[d]] <- as.character(df[[d]])
  if (task == "bootstrap") {
    repw <- as.matrix(fread(file.path(in_dir, "repw.csv")))
  }
  call <- function() {
    if (task == "bootstrap") {
      des <- svrepdesign(data = df, weights = ~w, repweights = repw, type = "bootstrap",
                         combined.weights = TRUE, scale = spec$scale, rscales = rep(1, ncol(repw)), mse = FALSE)
    } else {
      des <- svydesign(ids = ~1, weights = ~w, data = df)
    }
    out <- vector("list", length(ids) * (length(doms) + 1)); k <- 0
    for (i in ids) {
      f <- as.formula(paste0("~`", i, "`"))
      m <- svymean(f, des, na.rm = TRUE)
      k <- k + 1
      out[[k]] <- data.frame(variable = i, domain = "total", level = "total",
                             estimate = as.numeric(coef(m)), se = as.numeric(SE(m)))
      for (d in doms) {
        # a domain without base rows stops svyby on replicate designs ("All replicates contained NAs")
        b <- tryCatch(svyby(f, as.formula(paste0("~", d)), des, svymean, na.rm = TRUE),
                      error = function(e) NULL)
        if (is.null(b)) {  # then level by level, leaving out the empty one(s)
          for (lv in sort(unique(df[[d]]))) {
            m <- tryCatch(svymean(f, subset(des, des$variables[[d]] == lv), na.rm = TRUE),
                          error = function(e) NULL)
            if (is.null(m)) next
            k <- k + 1
            out[[k]] <- data.frame(variable = i, domain = d, level = lv,
                                   estimate = as.numeric(coef(m)), se = as.numeric(SE(m)))
          }
          next
        }
        k <- k + 1
        out[[k]] <- data.frame(variable = i, domain = d, level = as.character(b[[d]]),
                               estimate = as.numeric(coef(b)), se = as.numeric(SE(b)))
      }
    }
    do.call(rbind, out)
  }
}

invisible(gc(reset = TRUE))
base_mb <- sum(gc()[, 2])
times <- c(); ans <- NULL
for (r in seq_len(repeats)) {
  t0 <- proc.time()[["elapsed"]]
  ans <- call()
  times <- c(times, proc.time()[["elapsed"]] - t0)
  if (sum(times) > budget) break
}
g <- gc()
peak_mb <- sum(g[, ncol(g)]) - base_mb
fwrite(ans, file.path(out_dir, "answer.csv"))
writeLines(toJSON(list(times = times, peak_mb = peak_mb), auto_unbox = TRUE, digits = NA),
           file.path(out_dir, "result.json"))
