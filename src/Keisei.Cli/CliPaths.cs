using System.Text;

namespace Keisei.Cli;

/// <summary>
/// Checks of the files and folders named on the command line, done before any work: a missing file or folder, a file
/// where a folder is expected (or the reverse), and no permission are <see cref="UserInputException"/>s naming the option
/// and the path.
/// </summary>
internal static class CliPaths
{
    /// <summary>A file to read: it exists, is a file and can be opened for reading.</summary>
    public static string InputFile(string option, string path)
    {
        if (path.Length == 0) throw new UserInputException($"{option}: expected a file, found an empty path");
        if (Directory.Exists(path)) throw new UserInputException($"{option}: expected a file, found the folder '{path}'");
        if (!File.Exists(path)) throw new UserInputException($"{option}: '{path}' does not exist");
        try
        {
            using var _ = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserInputException($"{option}: cannot read '{path}': permission denied", e);
        }
        catch (IOException e)
        {
            throw new UserInputException($"{option}: cannot read '{path}': {e.Message}", e);
        }
        return path;
    }

    /// <summary>The text of a file to read (at most <paramref name="maxBytes"/>, UTF-8), for config files.</summary>
    public static string ReadText(string what, string path, int maxBytes)
    {
        if (path.Length == 0) throw new UserInputException($"{what}: expected a file, found an empty path");
        if (Directory.Exists(path)) throw new UserInputException($"{what} '{path}' is a folder, not a file");
        if (!File.Exists(path)) throw new UserInputException($"{what} '{path}' does not exist");
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.CanSeek && stream.Length > maxBytes)
                throw new UserInputException($"{what} '{path}': expected at most {maxBytes:N0} bytes, found {stream.Length:N0}");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            if (buffer.Length > maxBytes) throw new UserInputException($"{what} '{path}': expected at most {maxBytes:N0} bytes, found more");
            bytes = buffer.ToArray();
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserInputException($"{what} '{path}': cannot read it: permission denied", e);
        }
        catch (IOException e)
        {
            throw new UserInputException($"{what} '{path}': cannot read it: {e.Message}", e);
        }
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            int at = Math.Clamp(e.Index, 0, bytes.Length);
            int line = 1 + bytes.AsSpan(0, at).Count((byte)'\n');
            throw new UserInputException($"{path}, line {line}: expected UTF-8 text, found bytes that are not UTF-8 (is this a binary file?)", e);
        }
    }

    /// <summary>A file to write: not a folder, in a folder that exists and can be written.</summary>
    public static string OutputFile(string option, string path)
    {
        if (path.Length == 0) throw new UserInputException($"{option}: expected a file name, found an empty path");
        if (Directory.Exists(path)) throw new UserInputException($"{option}: expected a file, found the folder '{path}'");
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? full;
        ExistingFolder(option, folder, path);
        WriteProbe(option, folder, path);
        if (File.Exists(full))
        {
            try
            {
                using var _ = new FileStream(full, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new UserInputException($"{option}: cannot write '{path}': permission denied", e);
            }
            catch (IOException)
            {
                // Held open by another process (a database in use): the command's own open reports what is wrong.
            }
        }
        return path;
    }

    /// <summary>A folder to write into: created when missing; not a file; writable.</summary>
    public static string OutputFolder(string option, string path)
    {
        if (path.Length == 0) throw new UserInputException($"{option}: expected a folder, found an empty path");
        if (File.Exists(path)) throw new UserInputException($"{option}: expected a folder, found the file '{path}'");
        string full = Path.GetFullPath(path);
        for (string? up = Path.GetDirectoryName(full); up is not null; up = Path.GetDirectoryName(up))
            if (File.Exists(up)) throw new UserInputException($"{option} '{path}': '{up}' is a file, not a folder");
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserInputException($"{option}: cannot create the folder '{path}': permission denied", e);
        }
        catch (IOException e)
        {
            throw new UserInputException($"{option}: cannot create the folder '{path}': {e.Message}", e);
        }
        WriteProbe(option, full, path);
        return path;
    }

    private static void ExistingFolder(string option, string folder, string path)
    {
        if (Directory.Exists(folder)) return;
        throw File.Exists(folder)
            ? new UserInputException($"{option} '{path}': '{folder}' is a file, not a folder")
            : new UserInputException($"{option} '{path}': the folder '{folder}' does not exist");
    }

    /// <summary>Creates and deletes a file in <paramref name="folder"/> to learn whether it can be written.</summary>
    private static void WriteProbe(string option, string folder, string path)
    {
        string probe = Path.Combine(folder, $".keisei-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UserInputException($"{option}: cannot write in the folder '{folder}' (for '{path}'): permission denied", e);
        }
        catch (IOException e)
        {
            throw new UserInputException($"{option}: cannot write in the folder '{folder}' (for '{path}'): {e.Message}", e);
        }
    }
}
