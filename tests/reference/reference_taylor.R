# Reference numbers for the Taylor-linearisation engine (R survey).
# Run from this directory:  Rscript reference_taylor.R   (writes results/taylor.csv)
suppressPackageStartupMessages(library(survey))
options(digits = 15)
data(api); data(fpc)
res <- list()
add <- function(case, quantity, value, domain = "", level = "") {
  res[[length(res) + 1]] <<- data.frame(case = case, domain = domain, level = level,
                                          quantity = quantity, value = as.numeric(value))
}
stat <- function(case, s, deffrep = NULL, levels = NULL, df = Inf) {
  cf <- coef(s); se <- SE(s); ci <- confint(s, df = df)
  lv <- if (is.null(levels)) rep("", length(cf)) else levels
  for (k in seq_along(cf)) {
    add(case, "estimate", cf[k], level = lv[k]); add(case, "se", se[k], level = lv[k])
    add(case, "ci_low", ci[k, 1], level = lv[k]); add(case, "ci_high", ci[k, 2], level = lv[k])
    if (!is.null(attr(s, "deff"))) add(case, "deff", diag(as.matrix(attr(s, "deff")))[k], level = lv[k])
    if (!is.null(deffrep)) add(case, "deff_replace", diag(as.matrix(attr(deffrep, "deff")))[k], level = lv[k])
  }
}
designs <- list(
  dstrat = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc),
  dclus1 = svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc),
  dclus2 = svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2),
  dclus2wr = svydesign(id = ~dnum + snum, weights = ~pw, data = apiclus2),
  dsrs = svydesign(id = ~1, fpc = ~fpc, data = apisrs),
  dstrat_nofpc = svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat)
)
for (nm in names(designs)) {
  d <- designs[[nm]]
  add(paste0(nm, "_degf"), "df", degf(d))
  stat(paste0(nm, "_mean_api00"), svymean(~api00, d, deff = TRUE), svymean(~api00, d, deff = "replace"))
  stat(paste0(nm, "_total_enroll"), svytotal(~enroll, d, deff = TRUE, na.rm = TRUE),
       svytotal(~enroll, d, deff = "replace", na.rm = TRUE))
  stat(paste0(nm, "_mean_enroll_narm"), svymean(~enroll, d, deff = TRUE, na.rm = TRUE),
       svymean(~enroll, d, deff = "replace", na.rm = TRUE))
  stat(paste0(nm, "_mean_stype"), svymean(~stype, d, deff = TRUE), svymean(~stype, d, deff = "replace"),
       levels = levels(d$variables$stype))
  stat(paste0(nm, "_ratio_apistu_enroll"), svyratio(~api.stu, ~enroll, d, na.rm = TRUE))
  # t-based CI with design df for the mean
  stat(paste0(nm, "_mean_api00_tdf"), svymean(~api00, d), df = degf(d))
}
# fpc example from ?svydesign
withoutfpc <- svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid, variables = ~x, data = fpc, nest = TRUE)
withfpc <- svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid, variables = ~x, data = fpc, fpc = ~Nh, nest = TRUE)
stat("fpc_without_mean_x", svymean(~x, withoutfpc, deff = TRUE), svymean(~x, withoutfpc, deff = "replace"))
stat("fpc_with_mean_x", svymean(~x, withfpc, deff = TRUE), svymean(~x, withfpc, deff = "replace"))
stat("fpc_with_total_x", svytotal(~x, withfpc, deff = TRUE), svytotal(~x, withfpc, deff = "replace"))
fpcfrac <- fpc; fpcfrac$fr <- fpcfrac$nh / fpcfrac$Nh
withfrac <- svydesign(weights = ~weight, ids = ~psuid, strata = ~stratid, data = fpcfrac, fpc = ~fr, nest = TRUE)
stat("fpc_fraction_mean_x", svymean(~x, withfrac))

# svyciprop on apistrat, every method, two variables, two levels
dstrat <- designs$dstrat
for (v in c("sch.wide", "stypeH")) {
  f <- if (v == "sch.wide") ~I(sch.wide == "Yes") else ~I(stype == "H")
  for (m in c("logit", "likelihood", "asin", "beta", "mean", "xlogit")) {
    for (lev in c(0.95, 0.9)) {
      ci <- tryCatch(svyciprop(f, dstrat, method = m, level = lev), error = function(e) NULL)
      if (is.null(ci)) next
      case <- paste0("ciprop_dstrat_", v, "_", m, "_", lev * 100)
      add(case, "estimate", coef(ci)); add(case, "se", SE(ci))
      add(case, "ci_low", attr(ci, "ci")[1]); add(case, "ci_high", attr(ci, "ci")[2])
      add(case, "df", degf(dstrat))
    }
  }
}
# svyby domain estimates on dclus1 and dstrat
dclus1 <- designs$dclus1
byres <- function(case, b, est = "mean") {
  for (i in seq_len(nrow(b))) {
    dom <- paste(as.character(unlist(b[i, attr(b, "svyby")$margins])), collapse = "|")
    add(case, "estimate", coef(b)[i], domain = dom)
    add(case, "se", SE(b)[i], domain = dom)
    if ("DEff" %in% names(b) || any(grepl("^DEff", names(b)))) add(case, "deff", b[i, grep("^DEff", names(b))[1]], domain = dom)
  }
}
byres("svyby_dclus1_mean_api00_stype", svyby(~api00, ~stype, dclus1, svymean, deff = TRUE))
byres("svyby_dclus1_total_enroll_stype", svyby(~enroll, ~stype, dclus1, svytotal, deff = TRUE))
byres("svyby_dstrat_mean_api00_stype_awards", svyby(~api00, ~stype + awards, dstrat, svymean, deff = TRUE))
byres("svyby_dclus2_mean_api00_stype", svyby(~api00, ~stype, designs$dclus2, svymean, deff = TRUE))
byres("svyby_dclus2_mean_enroll_narm_stype", svyby(~enroll, ~stype, designs$dclus2, svymean, deff = TRUE, na.rm = TRUE))
for (m in c("logit", "beta", "mean", "asin")) {
  b <- svyby(~I(sch.wide == "Yes"), ~stype, dclus1, svyciprop, vartype = c("se", "ci"), method = m)
  for (i in seq_len(nrow(b))) {
    dom <- as.character(b$stype[i]); case <- paste0("svyby_dclus1_ciprop_schwide_stype_", m)
    add(case, "estimate", b[i, 2], domain = dom); add(case, "se", b[i, 3], domain = dom)
    add(case, "ci_low", b[i, 4], domain = dom); add(case, "ci_high", b[i, 5], domain = dom)
    add(case, "df", degf(subset(dclus1, stype == dom)), domain = dom)
  }
}
# categorical proportions by domain
b <- svyby(~awards, ~stype, dclus1, svymean, deff = TRUE)
for (i in seq_len(nrow(b))) for (lv in c("No", "Yes")) {
  dom <- as.character(b$stype[i])
  add("svyby_dclus1_mean_awards_stype", "estimate", b[i, paste0("awards", lv)], domain = dom, level = lv)
  add("svyby_dclus1_mean_awards_stype", "se", b[i, paste0("se.awards", lv)], domain = dom, level = lv)
  add("svyby_dclus1_mean_awards_stype", "deff", b[i, paste0("DEff.awards", lv)], domain = dom, level = lv)
}
# difference of two domain means with covariance
b <- svyby(~api00, ~stype, dclus1, svymean, covmat = TRUE)
dd <- svycontrast(b, c(E = 1, H = -1))
add("diff_dclus1_api00_E_H", "estimate", coef(dd)); add("diff_dclus1_api00_E_H", "se", SE(dd))
b <- svyby(~as.numeric(sch.wide == "Yes"), ~stype, dstrat, svymean, covmat = TRUE)
dd <- svycontrast(b, c(E = 1, M = -1))
add("diff_dstrat_schwide_E_M", "estimate", coef(dd)); add("diff_dstrat_schwide_E_M", "se", SE(dd))

# Rao-Scott tests
for (nm in c("dclus1", "dstrat", "dclus2")) {
  d <- designs[[nm]]
  for (s in c("F", "Chisq")) {
    t <- svychisq(~sch.wide + stype, d, statistic = s)
    case <- paste0("chisq_", nm, "_schwide_stype_", s)
    add(case, "statistic", t$statistic); add(case, "p", t$p.value)
    if (s == "F") { add(case, "ndf", t$parameter[1]); add(case, "ddf", t$parameter[2]) } else add(case, "ndf", t$parameter[1])
  }
}
t <- svychisq(~awards + stype, dclus1, statistic = "F")
add("chisq_dclus1_awards_stype_F", "statistic", t$statistic); add("chisq_dclus1_awards_stype_F", "p", t$p.value)
add("chisq_dclus1_awards_stype_F", "ndf", t$parameter[1]); add("chisq_dclus1_awards_stype_F", "ddf", t$parameter[2])

# Quantiles (Woodruff, qrule math, default interval.type mean)
for (nm in c("dclus1", "dstrat", "dclus2")) {
  d <- designs[[nm]]
  q <- svyquantile(~api00, d, c(0.25, 0.5, 0.9), ci = TRUE)
  for (k in 1:3) {
    case <- paste0("quantile_", nm, "_api00_", c(25, 50, 90)[k])
    add(case, "estimate", q$api00[k, 1]); add(case, "ci_low", q$api00[k, 2])
    add(case, "ci_high", q$api00[k, 3]); add(case, "se", q$api00[k, 4])
  }
}
q <- svyquantile(~api00, dclus1, 0.5, ci = TRUE, qrule = "school")
add("quantile_dclus1_api00_50_school", "estimate", q$api00[1, 1]); add("quantile_dclus1_api00_50_school", "ci_low", q$api00[1, 2])
add("quantile_dclus1_api00_50_school", "ci_high", q$api00[1, 3]); add("quantile_dclus1_api00_50_school", "se", q$api00[1, 4])
b <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, ci = TRUE, vartype = c("se", "ci"))
for (i in seq_len(nrow(b))) {
  dom <- as.character(b$stype[i])
  add("svyby_dclus1_quantile_api00_50_stype", "estimate", b[i, 2], domain = dom)
  add("svyby_dclus1_quantile_api00_50_stype", "se", b[i, 3], domain = dom)
  add("svyby_dclus1_quantile_api00_50_stype", "ci_low", b[i, 4], domain = dom)
  add("svyby_dclus1_quantile_api00_50_stype", "ci_high", b[i, 5], domain = dom)
}

# svyglm
g <- svyglm(sch.wide ~ ell + meals + mobility, design = dclus1, family = quasibinomial)
for (k in seq_along(coef(g))) {
  add("glm_dclus1_quasibinomial", "estimate", coef(g)[k], level = names(coef(g))[k])
  add("glm_dclus1_quasibinomial", "se", SE(g)[k], level = names(coef(g))[k])
}
add("glm_dclus1_quasibinomial", "df", g$df.residual)
g <- svyglm(api00 ~ ell + meals + stype, design = dstrat)
for (k in seq_along(coef(g))) {
  add("glm_dstrat_gaussian", "estimate", coef(g)[k], level = names(coef(g))[k])
  add("glm_dstrat_gaussian", "se", SE(g)[k], level = names(coef(g))[k])
}
add("glm_dstrat_gaussian", "df", g$df.residual)
g <- svyglm(sch.wide ~ ell + stype, design = designs$dclus2, family = quasibinomial)
for (k in seq_along(coef(g))) {
  add("glm_dclus2_quasibinomial", "estimate", coef(g)[k], level = names(coef(g))[k])
  add("glm_dclus2_quasibinomial", "se", SE(g)[k], level = names(coef(g))[k])
}

out <- do.call(rbind, res)
dir.create("results", showWarnings = FALSE)
write.csv(format(out, digits = 15), "results/taylor.csv", row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
