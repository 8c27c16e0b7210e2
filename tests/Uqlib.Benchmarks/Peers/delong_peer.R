# Peer timing for RocEvaluatorBenchmarks' DeLong benchmarks: pROC 1.18 on 10^5 cases (U(0,1) + 0.3 for failures, 20% failures).
# Run: Rscript delong_peer.R   (medians in ms of 10 runs; roc() construction is timed separately and excluded)
suppressMessages(library(pROC))
set.seed(2)
n <- 100000
failures <- as.integer(runif(n) < 0.2)
s1 <- runif(n) + 0.3 * failures
s2 <- 0.5 * s1 + 0.5 * runif(n)
med <- function(f) { f(); median(replicate(10, system.time(f())[["elapsed"]])) * 1000 }
r1 <- roc(failures, s1, levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(failures, s2, levels = c(0, 1), direction = "<", quiet = TRUE)
cat(sprintf("roc() 1e5: median %.1f ms\n", med(function() roc(failures, s1, levels = c(0, 1), direction = "<", quiet = TRUE))))
cat(sprintf("ci.auc delong 1e5: median %.1f ms\n", med(function() ci.auc(r1, method = "delong"))))
cat(sprintf("roc.test delong paired 1e5: median %.1f ms\n", med(function() roc.test(r1, r2, method = "delong", paired = TRUE))))
