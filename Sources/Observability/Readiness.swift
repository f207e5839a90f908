/// What `/readyz` answers: each dependency a server needs and whether it works now. Ready (200)
/// when every check passes, else 503; the body lists them as JSON, e.g.
/// `{"ready":false,"database":true,"hub":false}`.
package struct Readiness: Sendable, Equatable {
    /// One dependency: a short name (a JSON key: letters, digits, `_`) and whether it works.
    package struct Check: Sendable, Equatable {
        package var name: String
        package var ready: Bool
        package init(_ name: String, _ ready: Bool) {
            self.name = name
            self.ready = ready
        }
    }

    package var checks: [Check]
    /// Numbers shown beside the checks (e.g. requests pending); they decide nothing.
    package var counts: [(name: String, value: Int)]

    package init(_ checks: [Check], counts: [(name: String, value: Int)] = []) {
        self.checks = checks
        self.counts = counts
    }

    /// Whether every check passes.
    package var ready: Bool { checks.allSatisfy(\.ready) }

    /// The JSON body of `/readyz`.
    package var json: String {
        var fields = [#""ready":\#(ready)"#]
        fields += checks.map { #""\#(Self.key($0.name))":\#($0.ready)"# }
        fields += counts.map { #""\#(Self.key($0.name))":\#($0.value)"# }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Names are constants in the code; anything else is dropped so the JSON stays valid.
    private static func key(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" })
    }

    package static func == (lhs: Readiness, rhs: Readiness) -> Bool {
        lhs.checks == rhs.checks && lhs.counts.map(\.name) == rhs.counts.map(\.name) && lhs.counts.map(\.value) == rhs.counts.map(\.value)
    }
}
