using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Keisei.Analyzers;

/// <summary>
/// KEISEI001: a number converted implicitly to <c>TorchSharp.Scalar</c>, or given to a TorchSharp tensor operator that
/// makes one inside (<c>t * 0.5</c>); and TorchSharp calls that make one from a constant of their own (<c>a + b</c> on
/// tensors, <c>a.add(b)</c>, <c>a.add_(s)</c>, <c>s - t</c>: an alpha of 1; <c>square()</c>; <c>torch.arange(n)</c>; ...).
/// </summary>
/// <remarks>
/// TorchSharp 0.107 hands the native handle of a <c>Scalar</c> to libtorch and does not keep the managed object alive for
/// the call. A temporary made by the implicit conversion (<c>t.masked_fill(m, float.NegativeInfinity)</c>, <c>t * 0.5</c>,
/// <c>t.pow(2)</c>) becomes garbage as soon as its handle is read; when a garbage collection runs during the call, the
/// finalizer frees the native scalar while libtorch still reads it, and the operation uses whatever the freed memory holds
/// (a wrong fill value, NaN, or a libtorch error). Pass a Scalar that outlives the call: a cached one from
/// <c>Keisei.Neural.Scalars</c>, or a <c>using var</c> local.
/// </remarks>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScalarLifetimeAnalyzer : DiagnosticAnalyzer
{
    public const string Id = "KEISEI001";

    private static readonly DiagnosticDescriptor Rule = new(Id,
        "Number converted implicitly to TorchSharp.Scalar",
        "'{0}' becomes a temporary TorchSharp.Scalar that can be finalized while libtorch reads it; pass a Scalar that outlives the call (Scalars.Of(...) or a using local)",
        "Reliability", DiagnosticSeverity.Error, isEnabledByDefault: true,
        description: "TorchSharp does not keep a Scalar argument alive during the native call; a garbage collection in that window frees it under libtorch's feet.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeConversion, OperationKind.Conversion);
        context.RegisterOperationAction(AnalyzeOperator, OperationKind.Binary, OperationKind.CompoundAssignment);
        context.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
    }

    /// <summary>
    /// TorchSharp 0.107 methods that convert a constant to a temporary Scalar inside (found by reading its IL for calls
    /// to <c>Scalar.op_Implicit</c>): <c>a.add(b)</c> and <c>a.add_(s)</c> (alpha 1), <c>addcdiv(t1, t2)</c> (value 1),
    /// <c>square()</c> (<c>pow(2)</c>), <c>torch.arange(stop)</c> and <c>arange(start, stop)</c> (start 0, step 1), and the
    /// activations with default constants. Call the overload that takes every Scalar, from <c>Scalars.Of</c>.
    /// </summary>
    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.ContainingNamespace?.ToDisplayString() != "TorchSharp") return;
        bool unsafeCall = IsTensor(method.ContainingType)
            ? method.Name switch
            {
                "add" or "add_" => method.Parameters.Length == 1,
                "addcdiv" or "addcdiv_" => method.Parameters.Length == 2,
                "square" or "celu" or "celu_" or "elu" or "elu_" or "softplus" => true,
                _ => false,
            }
            : method.ContainingType?.Name switch
            {
                "torch" => method.Name == "arange" && method.Parameters.Count(p => IsTorchSharpScalar(p.Type)) < 3,
                "functional" => method.Name is "celu" or "hardshrink" or "hardtanh" or "leaky_relu" or "softshrink" or "threshold",
                _ => false,
            };
        if (unsafeCall)
            context.ReportDiagnostic(Diagnostic.Create(Rule, invocation.Syntax.GetLocation(), $"{invocation.Syntax} (a constant inside TorchSharp)"));
    }

    /// <summary><c>t.masked_fill(m, 0)</c>: a number becomes a Scalar through TorchSharp's implicit operator.</summary>
    private static void AnalyzeConversion(OperationAnalysisContext context)
    {
        var conversion = (IConversionOperation)context.Operation;
        if (!conversion.IsImplicit || conversion.OperatorMethod is not { } method || !IsTorchSharpScalar(method.ContainingType)) return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, conversion.Syntax.GetLocation(), conversion.Operand.Syntax.ToString()));
    }

    /// <summary><c>t * 0.5</c>, <c>t -= 1</c>: TorchSharp's operators on a tensor and a number make the Scalar inside.</summary>
    private static void AnalyzeOperator(OperationAnalysisContext context)
    {
        var (method, left, right) = context.Operation switch
        {
            IBinaryOperation b => (b.OperatorMethod, b.LeftOperand, b.RightOperand),
            ICompoundAssignmentOperation c => (c.OperatorMethod, c.Target, c.Value),
            _ => (null, null, null),
        };
        if (method is null || !IsTensor(method.ContainingType)) return;
        // Tensor + Tensor, Tensor + Scalar, Scalar − Tensor: TorchSharp calls add without an alpha, which makes one.
        if (method.Name == "op_Addition" || (method.Name == "op_Subtraction" && IsTorchSharpScalar(method.Parameters[0].Type)))
        {
            context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), $"{context.Operation.Syntax} (its alpha of 1)"));
            return;
        }
        for (int i = 0; i < method.Parameters.Length; i++)
        {
            if (!IsNumber(method.Parameters[i].Type)) continue;
            var operand = i == 0 ? left : right;
            context.ReportDiagnostic(Diagnostic.Create(Rule, operand!.Syntax.GetLocation(), operand.Syntax.ToString()));
        }
    }

    private static bool IsTensor(ITypeSymbol? type) => type is { Name: "Tensor" } tensor && tensor.ContainingType?.Name == "torch"
        && tensor.ContainingNamespace?.ToDisplayString() == "TorchSharp";

    private static bool IsTorchSharpScalar(ITypeSymbol? type) =>
        type is { Name: "Scalar" } && type.ContainingNamespace?.ToDisplayString() == "TorchSharp";

    private static bool IsNumber(ITypeSymbol type) => type.SpecialType is SpecialType.System_Boolean or SpecialType.System_Byte
        or SpecialType.System_SByte or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64
        or SpecialType.System_Single or SpecialType.System_Double;
}
