import Glibc

/// strerror's text for an errno value.
func strerrorText(_ code: Int32) -> String { String(cString: strerror(code)) }
