# Reference numbers for needs_analysis.weighting and the calibration hook of needs_analysis.design.
# Run from this directory:  Rscript weighting_reference.R
# Writes results/weighting_estimates.csv (case, domain, level, quantity, value) and
#        results/weighting_weights.csv   (case, row, weight): the calibrated weight of every row
#        (and, for two replicate cases, of every row in every replicate: case "<case>_rep<r>").
# Raking is run to full convergence (control epsilon 1e-13 relative, maxit 200) and calibrate()
# with epsilon 1e-13, so that the numbers are those of the fixed point, not of R's default stopping rule
# (rake(): maxit = 10, epsilon = 1 person).
suppressPackageStartupMessages(library(survey))
options(digits = 15)
data(api)
est <- list()
wts <- list()
add <- function(case, quantity, value, domain = "", level = "") {
  est[[length(est) + 1]] <<- data.frame(case = case, domain = domain, level = level,
                                        quantity = quantity, value = as.numeric(value))
}
addw <- function(case, d) {
  w <- if (inherits(d, "svyrep.design")) weights(d, "sampling") else weights(d)
  wts[[length(wts) + 1]] <<- data.frame(case = case, row = seq_along(w) - 1L, weight = as.numeric(w))
  if (inherits(d, "svyrep.design") && case %in% c("jk1_rake", "jk1_cal_logit")) {
    rw <- weights(d, "analysis")
    for (r in seq_len(ncol(rw))) {
      wts[[length(wts) + 1]] <<- data.frame(case = paste0(case, "_rep", r - 1L), row = seq_len(nrow(rw)) - 1L,
                                            weight = as.numeric(rw[, r]))
    }
  }
}
addstat <- function(case, s, levels = NULL) {
  cf <- coef(s); se <- SE(s)
  lv <- if (is.null(levels)) rep("", length(cf)) else levels
  for (k in seq_along(cf)) {
    add(case, "estimate", cf[k], level = lv[k]); add(case, "se", se[k], level = lv[k])
  }
}
standard <- function(nm, d) {
  addw(nm, d)
  addstat(paste0(nm, "_mean_api00"), svymean(~api00, d))
  addstat(paste0(nm, "_total_enroll"), svytotal(~enroll, d, na.rm = TRUE))
  addstat(paste0(nm, "_total_stype"), svytotal(~stype, d), levels = c("E", "H", "M"))
  b <- svyby(~api00, ~sch.wide, d, svymean)
  for (i in seq_len(nrow(b))) {
    add(paste0(nm, "_by_api00_schwide"), "estimate", b$api00[i], domain = as.character(b$sch.wide[i]))
    add(paste0(nm, "_by_api00_schwide"), "se", b$se[i], domain = as.character(b$sch.wide[i]))
  }
}
tight <- list(maxit = 200, epsilon = 1e-13)

# ---- dclus1 (?rake, ?postStratify, ?calibrate examples)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
pop.totals <- c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018)
jk1 <- as.svrepdesign(dclus1, type = "JK1")
for (kind in c("taylor", "jk1")) {
  d <- if (kind == "taylor") dclus1 else jk1
  standard(paste0(kind, "_none"), d)
  standard(paste0(kind, "_rake"), rake(d, list(~stype, ~sch.wide), list(pop.types, pop.schwide), control = tight))
  standard(paste0(kind, "_ps"), postStratify(d, ~stype, pop.types))
  standard(paste0(kind, "_cal_linear"), calibrate(d, ~stype + api99, c(pop.totals, api99 = 3914069),
                                                  epsilon = 1e-13))
  standard(paste0(kind, "_cal_raking"), calibrate(d, ~stype + api99, c(pop.totals, api99 = 3914069),
                                                  calfun = "raking", epsilon = 1e-13))
  standard(paste0(kind, "_cal_logit"), calibrate(d, ~stype + api99, c(pop.totals, api99 = 3914069),
                                                 calfun = "logit", bounds = if (kind == "taylor") c(0.7, 1.7) else c(0.3, 3),
                                                 epsilon = 1e-13))
  standard(paste0(kind, "_cal_rakemargins"), calibrate(d, ~stype + sch.wide,
                                                       c(pop.totals, sch.wideYes = 5122), calfun = "raking",
                                                       epsilon = 1e-13))
}
# post-stratification on two crossed variables (cells of stype x sch.wide)
pop.cross <- data.frame(stype = rep(c("E", "H", "M"), 2), sch.wide = rep(c("No", "Yes"), each = 3),
                        Freq = c(600, 200, 272, 3821, 555, 746))
standard("taylor_ps_cross", postStratify(dclus1, ~stype + sch.wide, pop.cross))

# ---- trimWeights (?trimWeights example): calibrated design, then trimmed
dclus2g <- calibrate(dclus1, ~stype + api99, c(pop.totals, api99 = 3914069))
addw("trim_before", dclus2g)
addstat("trim_before_mean_api00", svymean(~api00, dclus2g))
dclus2t <- trimWeights(dclus2g, lower = 20, upper = 45)
addw("trim_once", dclus2t)
addstat("trim_once_mean_api00", svymean(~api00, dclus2t))
dclus2tt <- trimWeights(dclus2g, lower = 20, upper = 45, strict = TRUE)
addw("trim_strict", dclus2tt)
addstat("trim_strict_mean_api00", svymean(~api00, dclus2tt))

# ---- tests/kalton.R (Kalton & Flores-Cervantes 2003): cell weights of every method
ab <- expand.grid(a = factor(1:4), b = factor(1:3))
kaltonsample <- ab[rep(1:12, c(20, 50, 100, 30, 40, 140, 50, 100, 40, 310, 50, 70)), ]
kaltonpop <- ab[rep(1:12, c(80, 60, 170, 55, 40, 150, 60, 165, 55, 340, 200, 125)), ]
jointpop <- colSums(model.matrix(~a * b, kaltonpop))
marginalpop <- colSums(model.matrix(~a + b, kaltonpop))
gregpop <- colSums(model.matrix(~as.numeric(a) + as.numeric(b), kaltonpop))
dkalton <- svydesign(id = ~1, data = kaltonsample, weights = ~rep(1, nrow(kaltonsample)))
kal <- list(
  A_poststratify = postStratify(dkalton, ~a + b, xtabs(~a + b, kaltonpop)),
  A_calibrate = calibrate(dkalton, ~a * b, jointpop, epsilon = 1e-13),
  B_rake = rake(dkalton, list(~a, ~b), list(xtabs(~a, kaltonpop), xtabs(~b, kaltonpop)), control = tight),
  B_calibrate_raking = calibrate(dkalton, ~a + b, marginalpop, calfun = "raking", epsilon = 1e-13),
  C_linear = calibrate(dkalton, ~a + b, marginalpop, epsilon = 1e-13),
  D_greg = calibrate(dkalton, ~as.numeric(a) + as.numeric(b), gregpop, epsilon = 1e-13),
  G_logit = calibrate(dkalton, ~a + b, marginalpop, bounds = c(0.5, 2.2), calfun = "logit", epsilon = 1e-13),
  G_truncated_linear = calibrate(dkalton, ~a + b, marginalpop, bounds = c(0.5, 2.2), epsilon = 1e-13)
)
for (nm in names(kal)) {
  tab <- svytable(~a + b, kal[[nm]]) / xtabs(~a + b, kaltonsample)
  for (i in 1:4) for (j in 1:3) add(paste0("kalton_", nm), "cell_weight", tab[i, j], domain = i, level = j)
}
out <- do.call(rbind, est)
dir.create("results", showWarnings = FALSE)
write.csv(format(out, digits = 15), "results/weighting_estimates.csv", row.names = FALSE)
w <- do.call(rbind, wts)
write.csv(format(w, digits = 15), "results/weighting_weights.csv", row.names = FALSE)
cat("wrote", nrow(out), "estimates and", nrow(w), "weights\n")
