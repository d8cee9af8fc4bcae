# Reference numbers for calibrated designs (GREG / raking / logit calibration, post-stratification).
# Run from this directory:  Rscript reference_calibration.R   (writes results/calibration.csv)
suppressPackageStartupMessages(library(survey))
data(api)
res <- list()
add <- function(case, quantity, value, domain = "", level = "") {
  res[[length(res) + 1]] <<- data.frame(case = case, domain = domain, level = level,
                                          quantity = quantity, value = as.numeric(value))
}
addstat <- function(case, s, levels = NULL) {
  cf <- coef(s); se <- SE(s)
  lv <- if (is.null(levels)) rep("", length(cf)) else levels
  for (k in seq_along(cf)) { add(case, "estimate", cf[k], level = lv[k]); add(case, "se", se[k], level = lv[k]) }
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
designs <- list(
  lin = calibrate(dclus1, ~stype, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)),
  lin_api99 = calibrate(dclus1, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069)),
  raking = calibrate(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), calfun = "raking"),
  logit = calibrate(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide), calfun = "logit",
                    bounds = c(0.7, 1.7)),
  post = postStratify(dclus1, ~stype, pop.types),
  rake = rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide))
)
for (nm in names(designs)) {
  d <- designs[[nm]]
  add(paste0(nm, "_weights"), "sum", sum(weights(d)))
  add(paste0(nm, "_weights"), "first", weights(d)[1])
  addstat(paste0(nm, "_mean_api00"), svymean(~api00, d))
  addstat(paste0(nm, "_total_enroll"), svytotal(~enroll, d))
  addstat(paste0(nm, "_mean_stype"), svymean(~stype, d), levels = c("E", "H", "M"))
  b <- svyby(~api00, ~awards, d, svymean)
  for (i in seq_len(nrow(b))) {
    add(paste0(nm, "_by_api00_awards"), "estimate", b$api00[i], domain = as.character(b$awards[i]))
    add(paste0(nm, "_by_api00_awards"), "se", b$se[i], domain = as.character(b$awards[i]))
  }
}
# replicate weights, recalibrated in every replicate
rc <- calibrate(as.svrepdesign(dclus1), ~stype, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018))
addstat("jk1_lin_mean_api00", svymean(~api00, rc))
addstat("jk1_lin_total_enroll", svytotal(~enroll, rc))
# svyglm on a calibrated design
g <- svyglm(api00 ~ ell + meals, design = designs$lin)
for (k in seq_along(coef(g))) {
  add("lin_glm_api00", "estimate", coef(g)[k], level = names(coef(g))[k])
  add("lin_glm_api00", "se", SE(g)[k], level = names(coef(g))[k])
}
out <- do.call(rbind, res)
dir.create("results", showWarnings = FALSE)
write.csv(format(out, digits = 15), "results/calibration.csv", row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
