using Microsoft.Extensions.Options;

namespace ConcertTicket.Infrastructure;

internal static class OptionsValidation
{
    /// <summary>
    /// Binds a section and validates it at start with messages that name the configuration key, so that
    /// "Order:HoldSeconds must be between 1 and 86400 (got 0)" tells the operator what to fix.
    /// </summary>
    public static void AddValidatedOptions<T>(this IServiceCollection services, string section,
        Func<T, IEnumerable<string>> validate) where T : class
    {
        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new Validator<T>(validate));
    }

    /// <summary>A connection string that must be set, or a start-up failure naming its key.</summary>
    public static string RequiredConnectionString(IConfiguration configuration, string name)
    {
        var value = configuration.GetConnectionString(name);
        return string.IsNullOrWhiteSpace(value)
            ? throw new Microsoft.Extensions.Options.OptionsValidationException(
                $"ConnectionStrings:{name}", typeof(string),
                [$"ConnectionStrings:{name} is required (environment variable ConnectionStrings__{name})."])
            : value;
    }

    public static IEnumerable<string> Range(string key, long value, long min, long max)
    {
        if (value < min || value > max) yield return $"{key} must be between {min} and {max} (got {value}).";
    }

    private sealed class Validator<T>(Func<T, IEnumerable<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = validate(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
