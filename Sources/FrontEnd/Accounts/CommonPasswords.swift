/// A short block list of the most commonly used passwords (NIST SP 800-63B 5.1.1.2 asks for a
/// check against "values known to be commonly-used"). Compared in lower case.
///
/// Deliberately small: it catches the first guesses of any online attack; throttling handles the rest.
enum CommonPasswords {
    static func contains(_ lowered: String) -> Bool { list.contains(lowered) }

    private static let list: Set<String> = [
        "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "12345678",
        "123456789", "1234567890", "12341234", "11111111", "00000000", "87654321", "qwertyui",
        "qwerty123", "qwertyuiop", "1q2w3e4r", "1qaz2wsx", "zaq12wsx", "abcd1234", "abc12345",
        "iloveyou", "sunshine", "princess", "football", "baseball", "welcome1", "welcome123",
        "letmein1", "trustno1", "superman", "starwars", "whatever", "dragon123", "monkey123",
        "changeme", "admin123", "administrator", "secret123", "login123", "master123",
        "computer", "internet", "michelle", "jennifer", "jordan23", "liverpool", "chelsea1",
        "asdfghjk", "asdf1234", "zxcvbnm1", "azerty123", "q1w2e3r4", "passwort", "motdepasse",
    ]
}
