# Reference numbers: lonely PSUs, replicate weights, Rao-Scott tests and svyglm on own synthetic data.
# Run from this directory after export_data.R:  Rscript reference_more.R  (writes results/more.csv)
suppressPackageStartupMessages(library(survey))
data(api); data(scd)
res <- list()
add <- function(case, quantity, value, domain = "", level = "") {
  res[[length(res) + 1]] <<- data.frame(case = case, domain = domain, level = level,
                                          quantity = quantity, value = as.numeric(value))
}
addstat <- function(case, s, levels = NULL) {
  cf <- coef(s); se <- SE(s)
  lv <- if (is.null(levels)) rep("", length(cf)) else levels
  for (k in seq_along(cf)) { add(case, "estimate", cf[k], level = lv[k]); add(case, "se", se[k], level = lv[k]) }
  if (!is.null(attr(s, "deff"))) for (k in seq_along(cf)) add(case, "deff", diag(as.matrix(attr(s, "deff")))[k], level = lv[k])
}
# ---- lonely PSUs
lon <- read.csv("data/lonely.csv")
for (opt in c("remove", "adjust", "average", "certainty")) {
  options(survey.lonely.psu = opt)
  d <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = lon)
  addstat(paste0("lonely_", opt, "_mean_y"), svymean(~y, d))
  addstat(paste0("lonely_", opt, "_total_y"), svytotal(~y, d))
}
options(survey.lonely.psu = "fail")

# ---- lonely unit at the second stage: PSU P1_1 keeps a single SSU (its fpc says 9 exist)
syn_l <- read.csv("data/synthetic.csv", stringsAsFactors = TRUE, na.strings = c("", "NA"))
syn_l <- syn_l[!(syn_l$psu == "P1_1" & syn_l$ssu != "Q1_1_1"), ]
for (opt in c("remove", "adjust", "average", "certainty")) {
  options(survey.lonely.psu = opt)
  d <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~N1 + N2, weights = ~w, data = syn_l)
  addstat(paste0("lonely2_", opt, "_mean_income"), svymean(~income, d, na.rm = TRUE))
  addstat(paste0("lonely2_", opt, "_total_needlang"), svytotal(~need_lang, d, na.rm = TRUE))
}
options(survey.lonely.psu = "fail")

# ---- own synthetic two-stage stratified sample with missing values
syn <- read.csv("data/synthetic.csv", stringsAsFactors = TRUE, na.strings = c("", "NA"))
d2 <- svydesign(id = ~psu + ssu, strata = ~stratum, fpc = ~N1 + N2, weights = ~w, data = syn)
d1 <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = syn)
for (nm in c("syn2", "syn1")) {
  d <- if (nm == "syn2") d2 else d1
  add(paste0(nm, "_degf"), "df", degf(d))
  addstat(paste0(nm, "_mean_income"), svymean(~income, d, na.rm = TRUE, deff = TRUE))
  addstat(paste0(nm, "_total_needlang"), svytotal(~need_lang, d, na.rm = TRUE, deff = TRUE))
  b <- svyby(~income, ~sex + agegrp, d, svymean, na.rm = TRUE, deff = TRUE)
  for (i in seq_len(nrow(b))) {
    dom <- paste(b$sex[i], b$agegrp[i], sep = "|")
    add(paste0(nm, "_by_income_sex_agegrp"), "estimate", b$income[i], domain = dom)
    add(paste0(nm, "_by_income_sex_agegrp"), "se", b$se[i], domain = dom)
    add(paste0(nm, "_by_income_sex_agegrp"), "deff", b$DEff.income[i], domain = dom)
  }
  b <- svyby(~citgrp, ~agegrp, d, svymean, na.rm = TRUE, deff = TRUE)
  for (i in seq_len(nrow(b))) for (lv in levels(syn$citgrp)) {
    dom <- as.character(b$agegrp[i])
    add(paste0(nm, "_by_citgrp_agegrp"), "estimate", b[i, paste0("citgrp", lv)], domain = dom, level = lv)
    add(paste0(nm, "_by_citgrp_agegrp"), "se", b[i, paste0("se.citgrp", lv)], domain = dom, level = lv)
    add(paste0(nm, "_by_citgrp_agegrp"), "deff", b[i, paste0("DEff.citgrp", lv)], domain = dom, level = lv)
  }
  for (m in c("logit", "beta", "likelihood")) {
    b <- svyby(~need_lang, ~sex, d, svyciprop, vartype = c("se", "ci"), method = m, na.rm = TRUE)
    for (i in seq_len(nrow(b))) {
      dom <- as.character(b$sex[i]); case <- paste0(nm, "_ciprop_needlang_sex_", m)
      add(case, "estimate", b[i, 2], domain = dom); add(case, "se", b[i, 3], domain = dom)
      add(case, "ci_low", b[i, 4], domain = dom); add(case, "ci_high", b[i, 5], domain = dom)
    }
  }
  q <- svyquantile(~income, d, c(0.5, 0.75), ci = TRUE, na.rm = TRUE)
  for (k in 1:2) {
    case <- paste0(nm, "_quantile_income_", c(50, 75)[k])
    add(case, "estimate", q$income[k, 1]); add(case, "ci_low", q$income[k, 2])
    add(case, "ci_high", q$income[k, 3]); add(case, "se", q$income[k, 4])
  }
  for (s in c("F", "Chisq")) {
    t <- svychisq(~citgrp + need_housing, d, statistic = s)
    case <- paste0(nm, "_chisq_citgrp_housing_", s)
    add(case, "statistic", t$statistic); add(case, "p", t$p.value)
    add(case, "ndf", t$parameter[1]); if (s == "F") add(case, "ddf", t$parameter[2])
  }
  # missing answers as out-of-domain: subset (R keeps the full design structure) then covmat
  b <- svyby(~need_lang, ~sex, subset(d, !is.na(need_lang)), svymean, covmat = TRUE)
  dd <- svycontrast(b, c(F = 1, M = -1))
  add(paste0(nm, "_diff_needlang_F_M"), "estimate", coef(dd)); add(paste0(nm, "_diff_needlang_F_M"), "se", SE(dd))
  g <- svyglm(need_lang ~ sex + agegrp + income, design = d, family = quasibinomial)
  for (k in seq_along(coef(g))) {
    add(paste0(nm, "_glm_needlang"), "estimate", coef(g)[k], level = names(coef(g))[k])
    add(paste0(nm, "_glm_needlang"), "se", SE(g)[k], level = names(coef(g))[k])
  }
  add(paste0(nm, "_glm_needlang"), "df", g$df.residual)
  g <- svyglm(income ~ sex + citgrp, design = d)
  for (k in seq_along(coef(g))) {
    add(paste0(nm, "_glm_income"), "estimate", coef(g)[k], level = names(coef(g))[k])
    add(paste0(nm, "_glm_income"), "se", SE(g)[k], level = names(coef(g))[k])
  }
}

# ---- replicate weights
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
apiclus1$one <- 1
dclus1s <- svydesign(id = ~dnum, strata = ~one, weights = ~pw, data = apiclus1, fpc = ~fpc)
dclus1nofpc <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1)
reps <- list(
  jk1_dclus1 = as.svrepdesign(dclus1, type = "JK1"),
  jk1_dclus1_nofpc = as.svrepdesign(dclus1nofpc, type = "JK1"),
  jk1_dclus1_mse = as.svrepdesign(dclus1, type = "JK1", mse = TRUE),
  jkn_dclus1 = as.svrepdesign(dclus1s, type = "JKn"),
  jkn_dstrat = as.svrepdesign(dstrat, type = "JKn"),
  jkn_dstrat_mse = as.svrepdesign(dstrat, type = "JKn", mse = TRUE)
)
for (nm in names(reps)) {
  rd <- reps[[nm]]
  add(paste0(nm, "_degf"), "df", degf(rd))
  addstat(paste0(nm, "_mean_api00"), svymean(~api00, rd))
  addstat(paste0(nm, "_total_enroll"), svytotal(~enroll, rd, na.rm = TRUE))
  addstat(paste0(nm, "_ratio"), svyratio(~api.stu, ~enroll, rd, na.rm = TRUE))
  addstat(paste0(nm, "_mean_stype"), svymean(~stype, rd), levels = c("E", "H", "M"))
  b <- svyby(~api00, ~stype, rd, svymean)
  for (i in seq_len(nrow(b))) {
    add(paste0(nm, "_by_api00_stype"), "estimate", b$api00[i], domain = as.character(b$stype[i]))
    add(paste0(nm, "_by_api00_stype"), "se", b$se[i], domain = as.character(b$stype[i]))
  }
}
rd <- reps$jk1_dclus1
t <- svychisq(~sch.wide + stype, rd)
add("jk1_dclus1_chisq", "statistic", t$statistic); add("jk1_dclus1_chisq", "p", t$p.value)
add("jk1_dclus1_chisq", "ndf", t$parameter[1]); add("jk1_dclus1_chisq", "ddf", t$parameter[2])
g <- svyglm(sch.wide ~ ell + meals, rd, family = quasibinomial)
for (k in seq_along(coef(g))) {
  add("jk1_dclus1_glm", "estimate", coef(g)[k], level = names(coef(g))[k])
  add("jk1_dclus1_glm", "se", SE(g)[k], level = names(coef(g))[k])
}
scddes <- svydesign(data = scd, prob = ~1, id = ~ambulance, strata = ~ESA, nest = TRUE, fpc = rep(5, 6))
for (rho in c(0, 0.3)) {
  rd <- as.svrepdesign(scddes, type = if (rho == 0) "BRR" else "Fay", fay.rho = rho)
  nm <- paste0("brr_scd_", rho * 10)
  addstat(paste0(nm, "_total_arrests"), svytotal(~arrests, rd))
  addstat(paste0(nm, "_mean_alive"), svymean(~alive, rd))
  addstat(paste0(nm, "_ratio"), svyratio(~alive, ~arrests, rd))
}
# ---- tiny domains: profile likelihood reaching |eta| > 30 (R's binomial thresholds)
small <- read.csv("data/small_domain.csv", na.strings = "")
ds <- svydesign(id = ~psu, strata = ~stratum, weights = ~w, data = small, nest = TRUE)
for (m in c("likelihood", "logit", "beta")) {
  b <- svyby(~y, ~g, ds, svyciprop, method = m, level = 0.9, vartype = c("se", "ci"))
  for (i in seq_len(nrow(b))) {
    dom <- as.character(b$g[i]); case <- paste0("small_ciprop_y_g_", m)
    add(case, "estimate", b[i, 2], domain = dom); add(case, "se", b[i, 3], domain = dom)
    add(case, "ci_low", b[i, 4], domain = dom); add(case, "ci_high", b[i, 5], domain = dom)
  }
}
out <- do.call(rbind, res)
dir.create("results", showWarnings = FALSE)
write.csv(format(out, digits = 15), "results/more.csv", row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
