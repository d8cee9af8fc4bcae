# Export the R survey example data sets used by the Python reference tests.
# Run from this directory:  Rscript export_data.R
suppressPackageStartupMessages(library(survey))
data(api)
data(fpc)
data(scd)
out <- "data"
dir.create(out, showWarnings = FALSE)
wr <- function(d, name) write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE, na = "")
wr(apistrat, "apistrat")
wr(apiclus1, "apiclus1")
wr(apiclus2, "apiclus2")
wr(apisrs, "apisrs")
wr(fpc, "fpc")
wr(scd, "scd")

# Own synthetic survey: 6 strata, 2-stage cluster sample, missing values, categorical variables.
set.seed(20211)
rows <- list()
for (h in 1:6) {
  npsu <- c(3, 4, 2, 5, 3, 4)[h]
  for (i in 1:npsu) {
    nssu <- sample(2:6, 1)
    for (j in 1:nssu) {
      m <- sample(3:8, 1)
      rows[[length(rows) + 1]] <- data.frame(
        stratum = paste0("S", h), psu = paste0("P", h, "_", i), ssu = paste0("Q", h, "_", i, "_", j),
        N1 = npsu * c(4, 5, 6, 8, 3, 10)[h], N2 = nssu * 3,
        w = round(runif(m, 5, 40), 3),
        sex = sample(c("F", "M"), m, replace = TRUE, prob = c(0.55, 0.45)),
        agegrp = sample(c("18-29", "30-44", "45+"), m, replace = TRUE),
        citgrp = sample(c("BY", "UA", "RU", "other"), m, replace = TRUE, prob = c(.3, .35, .2, .15)),
        need_lang = rbinom(m, 1, 0.3 + 0.1 * h / 6),
        income = round(rlnorm(m, 7 + 0.05 * h, 0.5), 2))
    }
  }
}
syn <- do.call(rbind, rows)
n <- nrow(syn)
syn$need_housing <- ifelse(runif(n) < 0.25 + 0.2 * (syn$citgrp == "UA"), "yes", "no")
syn$need_lang[sample(n, 15)] <- NA
syn$income[sample(n, 12)] <- NA
syn$citgrp[sample(n, 8)] <- NA
syn$sex[sample(n, 4)] <- NA
wr(syn, "synthetic")

# Lonely-PSU data: stratum C has a single PSU.
set.seed(7)
lon <- data.frame(stratum = rep(c("A", "A", "A", "B", "B", "C"), each = 4),
                  psu = rep(c("a1", "a2", "a3", "b1", "b2", "c1"), each = 4))
lon$w <- round(runif(nrow(lon), 1, 10), 2)
lon$y <- round(rnorm(nrow(lon), 50, 10), 2)
wr(lon, "lonely")
cat("done\n")
