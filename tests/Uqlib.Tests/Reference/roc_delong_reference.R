# DeLong reference values from pROC, read by make_roc_reference.py.
# Usage: Rscript roc_delong_reference.R cases.csv
# cases.csv columns: case, failure (0/1), score, score2. Failures are the cases (level 1), higher score = failure (direction "<").
suppressMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
for (k in sort(unique(d$case))) {
  s <- d[d$case == k, ]
  r1 <- roc(s$failure, s$score, levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(s$failure, s$score2, levels = c(0, 1), direction = "<", quiet = TRUE)
  ci95 <- ci.auc(r1, method = "delong", conf.level = 0.95)
  ci90 <- ci.auc(r1, method = "delong", conf.level = 0.90)
  v <- var(r1, method = "delong")
  t <- roc.test(r1, r2, method = "delong", paired = TRUE)
  cat(sprintf("%d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n", k,
              as.numeric(r1$auc), ci95[1], ci95[3], ci90[1], ci90[3], v,
              as.numeric(r2$auc), t$statistic, t$p.value, t$conf.int[1], t$conf.int[2]))
}
