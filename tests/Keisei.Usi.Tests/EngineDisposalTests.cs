namespace Keisei.Usi.Tests;

/// <summary>Disposal always reaps the process, whatever the mode and however the session ended.</summary>
public sealed class EngineDisposalTests
{
    [Theory]
    [InlineData("random")]
    [InlineData("crash")]
    [InlineData("hang")]
    [InlineData("illegal")]
    [InlineData("garbage")]
    [InlineData("resign")]
    [InlineData("win")]
    [InlineData("stderr")]
    [InlineData("slowstart")]
    [InlineData("noready")]
    public async Task After_dispose_the_process_has_exited(string mode)
    {
        var options = Fake.Options(mode) with { HandshakeTimeout = TimeSpan.FromSeconds(1), ReadyTimeout = TimeSpan.FromSeconds(1) };
        if (mode is not "slowstart") options = options with { HandshakeTimeout = TimeSpan.FromSeconds(10) };
        if (mode is not "noready") options = options with { ReadyTimeout = TimeSpan.FromSeconds(10) };
        var transport = ProcessTransport.Start(options);
        UsiEngine? engine = null;
        try
        {
            engine = await UsiEngine.StartAsync(transport, options, null, TestContext.Timeout);
            Assert.Equal(transport.ProcessId, engine.ProcessId);
            await engine.GoAsync("startpos", [], UsiGoLimits.FixedNodes(1), TimeSpan.FromSeconds(1), TestContext.Timeout);
        }
        catch (UsiEngineException)
        {
            // Faulty modes fault; either way the process must be gone after disposal.
        }
        finally
        {
            if (engine is not null)
            {
                await engine.DisposeAsync();
                await engine.DisposeAsync(); // idempotent
            }
        }
        Fake.AssertExited(transport.ProcessId);
    }
}
