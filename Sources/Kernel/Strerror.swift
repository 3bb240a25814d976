import Glibc

/// strerror's text for an errno value.
package func strerrorText(_ code: Int32) -> String { String(cString: strerror(code)) }
