namespace Keisei.Cli;

internal static class Program
{
    private static int Main(string[] args) => KeiseiApp.Run(args, Console.In, Console.Out, Console.Error);
}
