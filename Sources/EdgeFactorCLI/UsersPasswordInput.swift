import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a password without echoing it, or from standard input for scripts.
enum PasswordInput {
    static func read(fromStdin: Bool, confirm: Bool) throws -> String {
        if fromStdin || isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            return line
        }
        let first = try prompt("Password: ")
        if confirm {
            let second = try prompt("Repeat password: ")
            guard first == second else { throw ValidationError("the passwords do not match") }
        }
        return first
    }

    /// Turns terminal echo off while reading one line.
    private static func prompt(_ text: String) throws -> String {
        FileHandle.standardError.write(Data(text.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password entered") }
        return line
    }
}

/// Plain aligned columns for terminal listings.
enum TextTable {
    static func print(_ rows: [[String]]) {
        guard let header = rows.first else { return }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let line = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            Swift.print(line)
        }
    }
}
