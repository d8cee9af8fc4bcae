# Reference numbers: svyolr, svychisq Wald/adjWald, svyttest, lonely_psu = "average" in domains.
# Run from this directory after export_data.R:  Rscript reference_models.R
# (writes data/synthetic_ordinal.csv, data/lonely_domains.csv and results/models.csv)
suppressPackageStartupMessages({library(survey); library(MASS)})
data(api)
res <- list()
add <- function(case, quantity, value, domain = "", level = "") {
  res[[length(res) + 1]] <<- data.frame(case = case, domain = domain, level = level,
                                          quantity = quantity, value = as.numeric(value))
}
wr <- function(d, name) write.csv(d, file.path("data", paste0(name, ".csv")), row.names = FALSE, na = "")

# ---- data
apiclus1$mealcat <- cut(apiclus1$meals, c(0, 25, 50, 75, 100))   # as on R's ?svyolr page
apistrat$mealcat <- cut(apistrat$meals, c(0, 25, 50, 75, 100))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
syn <- read.csv("data/synthetic.csv", stringsAsFactors = TRUE, na.strings = c("", "NA"))
# ordinal satisfaction item built deterministically (no random numbers): a latent logistic score with a
# pseudo-uniform term from the row number, cut into four ordered categories; missing where sex or income is
sat_levels <- c("very_dissatisfied", "dissatisfied", "satisfied", "very_satisfied")
u <- (((seq_len(nrow(syn)) * 7919) %% 997) + 0.5) / 997
latent <- 0.6 * (syn$sex == "F") - 0.5 * (syn$agegrp == "45+") + 0.8 * log(syn$income / 1000) + qlogis(u)
syn$satisf <- cut(latent, c(-Inf, -1, 0.2, 1.4, Inf), labels = sat_levels)
wr(data.frame(row = seq_len(nrow(syn)), satisf = syn$satisf), "synthetic_ordinal")
d2 <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~N1 + N2, weights = ~w, data = syn)
d1 <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = syn)

# ---- svyolr: R's BFGS stops at reltol 1e-8 and differentiates the Hessian numerically (ndeps 1e-3), which
# leaves ~1e-5 (SEs up to ~2e-4) relative error; the "tight" numbers rerun it to convergence
# (reltol 1e-15, ndeps 1e-6). Both are written: quantity "estimate"/"se" (tight) and "*_default".
olr <- function(case, formula, design, method = "logistic") {
  p <- length(attr(terms(formula), "term.labels"))
  m0 <- svyolr(formula, design, method = method)
  npar <- length(coef(m0))
  m <- svyolr(formula, design, method = method,
              control = list(reltol = 1e-15, maxit = 10000, ndeps = rep(1e-6, npar)))
  ci <- confint(m)   # confint.default: normal quantiles
  for (k in seq_along(coef(m))) {
    nm <- names(coef(m))[k]
    add(case, "estimate", coef(m)[k], level = nm); add(case, "se", SE(m)[k], level = nm)
    add(case, "estimate_default", coef(m0)[k], level = nm); add(case, "se_default", SE(m0)[k], level = nm)
    add(case, "ci_low_normal", ci[k, 1], level = nm); add(case, "ci_high_normal", ci[k, 2], level = nm)
  }
  add(case, "df", m$df.residual); add(case, "deviance", m$deviance)
}
olr("olr_dclus1", mealcat ~ avg.ed + mobility + stype, dclus1)
olr("olr_dstrat", mealcat ~ avg.ed + ell + comp.imp, dstrat)
olr("olr_dstrat_probit", mealcat ~ avg.ed + ell + comp.imp, dstrat, method = "probit")
olr("olr_syn2", satisf ~ sex + agegrp + income, d2)
olr("olr_syn1", satisf ~ sex + agegrp + income, d1)
# replicate weights: svyolr.svyrep.design refits MASS::polr on every replicate (without passing control);
# "tight" repeats the same algorithm with control = list(reltol = 1e-15)
rd <- as.svrepdesign(dclus1, type = "JK1")
f <- mealcat ~ avg.ed + mobility + stype
m0 <- svyolr(f, rd)
ctl <- list(reltol = 1e-15, maxit = 10000)
df <- model.frame(rd)
full <- polr(f, data = df, weights = weights(rd, "sampling"), Hess = TRUE, model = FALSE, control = ctl)
start <- c(full$coefficients, full$zeta)
betas <- apply(weights(rd, "analysis"), 2, function(w) {
  environment(f) <- environment()   # polr looks up the weights in the formula's environment
  m <- polr(f, data = df, weights = w, start = start, model = FALSE, control = ctl)
  c(m$coefficients, m$zeta)
})
v <- svrVar(t(betas), rd$scale, rd$rscales, mse = rd$mse, coef = start)
for (k in seq_along(start)) {
  nm <- names(start)[k]
  add("olr_jk1_dclus1", "estimate", start[k], level = nm); add("olr_jk1_dclus1", "se", sqrt(v[k, k]), level = nm)
  add("olr_jk1_dclus1", "estimate_default", coef(m0)[k], level = nm)
  add("olr_jk1_dclus1", "se_default", SE(m0)[k], level = nm)
}
add("olr_jk1_dclus1", "df", m0$df.residual)

# ---- svychisq Wald and adjWald
chisq <- function(case, formula, design) {
  for (s in c("Wald", "adjWald", "F")) {
    t <- svychisq(formula, design, statistic = s)
    cs <- paste0(case, "_", s)
    add(cs, "statistic", t$statistic); add(cs, "ndf", t$parameter[1]); add(cs, "ddf", t$parameter[2])
    add(cs, "p", t$p.value)
  }
}
chisq("chisq_dclus1_schwide_stype", ~sch.wide + stype, dclus1)
chisq("chisq_dstrat_compimp_awards", ~comp.imp + awards, dstrat)
chisq("chisq_dclus2_stype_awards", ~stype + awards, dclus2)
chisq("chisq_syn2_citgrp_housing", ~citgrp + need_housing, d2)
chisq("chisq_syn1_citgrp_agegrp", ~citgrp + agegrp, d1)
chisq("chisq_jk1_dclus1_schwide_stype", ~sch.wide + stype, rd)

# ---- svyttest (two groups: svyglm(y ~ g), df = design df - 1)
ttest <- function(case, formula, design) {
  t <- svyttest(formula, design)
  add(case, "statistic", t$statistic); add(case, "df", t$parameter); add(case, "p", t$p.value)
  add(case, "estimate", t$estimate); add(case, "ci_low", t$conf.int[1]); add(case, "ci_high", t$conf.int[2])
}
ttest("ttest_dclus1_api00_schwide", api00 ~ sch.wide, dclus1)
ttest("ttest_dclus2_enroll_compimp", enroll ~ comp.imp, dclus2)   # the example on R's ?svyttest page
ttest("ttest_dstrat_api00_awards", api00 ~ awards, dstrat)
ttest("ttest_syn2_income_sex", income ~ sex, d2)
ttest("ttest_syn1_income_needlang", income ~ need_lang, d1)
ttest("ttest_jk1_dclus1_api00_schwide", api00 ~ sch.wide, rd)

# ---- lonely_psu = "average" in domains: R averages over the strata present in the domain subset
# (svyby and subset() drop the other rows; survey.adjust.domain.lonely = FALSE, the default)
options(survey.lonely.psu = "average")
lon <- read.csv("data/lonely.csv")
# stratum C has one PSU (c1); domain x has no row in C, y has one PSU of B (b1) and C, w has every
# stratum, z lies in C alone (R: NaN, nothing to average over); y2 is missing in all of stratum B
lon$g <- c("x", "x", "y", "w",  "x", "y", "y", "w",  "x", "x", "y", "y",
           "x", "y", "w", "w",  "x", "x", "x", "w",  "z", "z", "y", "w")
lon$y2 <- ifelse(lon$stratum == "B", NA, lon$y)
wr(lon, "lonely_domains")
dl <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = lon)
byout <- function(case, b) {
  for (i in seq_len(nrow(b))) {
    dom <- as.character(b[i, 1])
    add(case, "estimate", coef(b)[i], domain = dom); add(case, "se", SE(b)[i], domain = dom)
  }
}
byout("avg_lonely_by_mean_y_g", svyby(~y, ~g, dl, svymean))
byout("avg_lonely_by_total_y_g", svyby(~y, ~g, dl, svytotal))
s <- svymean(~y, subset(dl, g == "x"))
add("avg_lonely_subset_x_mean_y", "estimate", coef(s)); add("avg_lonely_subset_x_mean_y", "se", SE(s))
s <- svymean(~y2, dl, na.rm = TRUE)
add("avg_lonely_mean_y2_narm", "estimate", coef(s)); add("avg_lonely_mean_y2_narm", "se", SE(s))
# a calibrated design is subset by zero weights (R keeps its rows): every stratum stays present
dcal <- calibrate(dl, ~g, c(`(Intercept)` = 150, gx = 60, gy = 45, gz = 15))
byout("avg_lonely_cal_by_mean_y_g", svyby(~y, ~g, dcal, svymean))
s <- svymean(~y2, dcal, na.rm = TRUE)
add("avg_lonely_cal_mean_y2_narm", "estimate", coef(s)); add("avg_lonely_cal_mean_y2_narm", "se", SE(s))
b <- svyby(~y, ~g, dl, svymean, covmat = TRUE)   # covariance over the whole design (all strata present)
dd <- svycontrast(b, c(x = 1, y = -1))
add("avg_lonely_diff_y_x_y", "estimate", coef(dd)); add("avg_lonely_diff_y_x_y", "se", SE(dd))
# synthetic one-stage design with stratum S3 reduced to a single PSU, domains with missing values
syn_a <- syn[syn$psu != "P3_2", ]
da <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = syn_a)
b <- svyby(~income, ~sex + agegrp, da, svymean, na.rm = TRUE)
for (i in seq_len(nrow(b))) {
  dom <- paste(b$sex[i], b$agegrp[i], sep = "|")
  add("avg_syn1_by_income_sex_agegrp", "estimate", b$income[i], domain = dom)
  add("avg_syn1_by_income_sex_agegrp", "se", b$se[i], domain = dom)
}
b <- svyby(~citgrp, ~agegrp, da, svymean, na.rm = TRUE)
for (i in seq_len(nrow(b))) for (lv in levels(syn$citgrp)) {
  dom <- as.character(b$agegrp[i])
  add("avg_syn1_by_citgrp_agegrp", "estimate", b[i, paste0("citgrp", lv)], domain = dom, level = lv)
  add("avg_syn1_by_citgrp_agegrp", "se", b[i, paste0("se.citgrp", lv)], domain = dom, level = lv)
}
b <- svyby(~need_lang, ~citgrp, da, svytotal, na.rm = TRUE)
byout("avg_syn1_by_total_needlang_citgrp", b)
s <- svymean(~income, subset(da, stratum %in% c("S3", "S4")), na.rm = TRUE)
add("avg_syn1_subset_s3s4_mean_income", "estimate", coef(s)); add("avg_syn1_subset_s3s4_mean_income", "se", SE(s))
g <- svyglm(income ~ sex + agegrp, design = da)
for (k in seq_along(coef(g))) {
  add("avg_syn1_glm_income", "estimate", coef(g)[k], level = names(coef(g))[k])
  add("avg_syn1_glm_income", "se", SE(g)[k], level = names(coef(g))[k])
}
t <- svychisq(~citgrp + need_housing, da)
add("avg_syn1_chisq_F", "statistic", t$statistic); add("avg_syn1_chisq_F", "p", t$p.value)
# two-stage design with fpc whose PSU P1_1 keeps a single SSU: at stage 2 that PSU has no other stratum
# to average over, so R's variance is NaN wherever P1_1 has rows in the domain, finite elsewhere
syn_l <- syn[!(syn$psu == "P1_1" & syn$ssu != "Q1_1_1"), ]
dl2 <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~N1 + N2, weights = ~w, data = syn_l)
s <- svymean(~income, subset(dl2, stratum != "S1"), na.rm = TRUE)
add("avg_lonely2_subset_notS1_mean_income", "estimate", coef(s))
add("avg_lonely2_subset_notS1_mean_income", "se", SE(s))
b <- svyby(~income, ~stratum, dl2, svymean, na.rm = TRUE)
byout("avg_lonely2_by_mean_income_stratum", b)
options(survey.lonely.psu = "fail")

out <- do.call(rbind, res)
dir.create("results", showWarnings = FALSE)
write.csv(format(out, digits = 15), "results/models.csv", row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
