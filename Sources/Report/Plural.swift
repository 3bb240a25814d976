/// `1 cell`, `3 cells`.
public enum Plural {
    public static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
