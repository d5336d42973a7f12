using FaultSuite;

// run: the fault suite (faults/run.sh); check: the invariants alone, for faults/cluster.sh.
if (args.Length > 0 && args[0] == "check") return await ClusterCheck.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "run") args = args[1..];
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.Out.WriteLine(SuiteOptions.Usage);
    return 0;
}
var options = SuiteOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine($"fault-suite: {error}\n{SuiteOptions.Usage}");
    return 2;
}
return await Suite.RunAsync(options);
