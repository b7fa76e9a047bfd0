//! Recognises, in a build log, a program failing because the network is disabled,
//! and says so in the seed's terms: `network disabled — connection refused to <host>`.

/// Patterns `(before, after)`: the host is the text between them on a log line.
const HOST_PATTERNS: &[(&str, &str)] = &[
    ("can't connect to remote host (", ")"),
    ("bad address '", "'"),
    ("Could not resolve host: ", ""),
    ("Failed to connect to ", " port"),
    ("unable to resolve host address ‘", "’"),
    ("unable to resolve host address '", "'"),
    ("Temporary failure resolving '", "'"),
    ("Could not resolve '", "'"),
    ("getaddrinfo ENOTFOUND ", ""),
    ("getaddrinfo EAI_AGAIN ", ""),
    ("Failed to establish a new connection: ", ""),
    ("Connecting to ", " ("),
    ("could not resolve host ", ""),
];

/// Phrases that mean a network call failed, host unknown.
const GENERIC: &[&str] = &[
    "Connection refused",
    "Network is unreachable",
    "Name or service not known",
    "Temporary failure in name resolution",
    "no servers could be reached",
    "Could not resolve host",
];

/// A network failure seen in a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkFailure {
    /// The host the program tried to reach, when the line names it.
    pub host: Option<String>,
}

impl NetworkFailure {
    /// The seed's wording.
    pub fn message(&self) -> String {
        match &self.host {
            Some(h) => format!("network disabled — connection refused to {h}"),
            None => "network disabled — connection refused".to_string(),
        }
    }
}

/// The network failure `line` reports, if any.
pub fn network_failure(line: &str) -> Option<NetworkFailure> {
    for (before, after) in HOST_PATTERNS {
        if let Some(start) = line.find(before) {
            let rest = &line[start + before.len()..];
            let end = if after.is_empty() {
                rest.find(char::is_whitespace).unwrap_or(rest.len())
            } else {
                match rest.find(after) {
                    Some(e) => e,
                    None => continue,
                }
            };
            let host = rest[..end].trim_matches(|c: char| "'\"‘’:,".contains(c));
            let host = host
                .split_once("://")
                .map_or(host, |(_, h)| h)
                .split('/')
                .next()
                .unwrap_or(host);
            if !host.is_empty() && !host.contains(' ') {
                return Some(NetworkFailure {
                    host: Some(host.to_string()),
                });
            }
        }
    }
    GENERIC
        .iter()
        .any(|g| line.contains(g))
        .then_some(NetworkFailure { host: None })
}

#[cfg(test)]
mod tests {
    use super::network_failure;

    fn host(line: &str) -> Option<Option<String>> {
        network_failure(line).map(|f| f.host)
    }

    #[test]
    fn names_the_host_from_common_tools() {
        let cases = [
            (
                "nc: can't connect to remote host (127.0.0.1): Connection refused",
                "127.0.0.1",
            ),
            (
                "wget: bad address 'registry.npmjs.org'",
                "registry.npmjs.org",
            ),
            (
                "curl: (6) Could not resolve host: example.com",
                "example.com",
            ),
            (
                "curl: (7) Failed to connect to 10.0.0.1 port 80 after 0 ms: Couldn't connect",
                "10.0.0.1",
            ),
            (
                "W: Failed to fetch http://deb.debian.org/x  Temporary failure resolving 'deb.debian.org'",
                "deb.debian.org",
            ),
            (
                "npm ERR! getaddrinfo ENOTFOUND registry.npmjs.org",
                "registry.npmjs.org",
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(host(line), Some(Some(expected.to_string())), "{line}");
        }
    }

    #[test]
    fn generic_failures_and_unrelated_lines() {
        assert_eq!(host("socket: Network is unreachable"), Some(None));
        assert_eq!(host("STEP 2/3: RUN make"), None);
        assert_eq!(host("connected to the database"), None);
        assert_eq!(
            network_failure("wget: bad address 'a.b'")
                .unwrap()
                .message(),
            "network disabled — connection refused to a.b"
        );
    }
}
