using Xunit;

// Training draws initial weights from libtorch's global generator (torch.manual_seed), which parallel tests would race on:
// the determinism tests need the tests of this assembly to run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
