//! Secret detection: one hit and one near miss per rule, real keys from
//! `openssl`/`ssh-keygen` and keys generated at test time, redaction, binary and
//! oversized files, skipped paths, and random input that must never panic.
//!
//! No secret-shaped literal appears in this file: tokens come from a seeded
//! generator and PEM headers are assembled at run time, so the repository itself
//! stays clean for secret scanners (ours included).

use std::collections::BTreeSet;

use flareo_scan::secrets::{
    MAX_FINDINGS_PER_FILE, MAX_SCAN_BYTES, SecretFinding, is_skipped_path, rules, scan_file,
};
use proptest::prelude::*;

// ---------------------------------------------------------------- generators

/// xorshift64*: deterministic, dependency-free test randomness.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[(self.next() % alphabet.len() as u64) as usize]))
            .collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn alnum(&mut self, n: usize) -> String {
        self.pick(ALNUM, n)
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64(data: &[u8], alphabet: &[u8], pad: bool) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

fn b64(data: &[u8]) -> String {
    base64(data, B64, true)
}

fn b64url(data: &[u8]) -> String {
    base64(data, B64URL, false)
}

/// A PEM block; `kind` is `""`, `"RSA "`, `"OPENSSH "`, ... (header assembled here).
fn pem(kind: &str, body: &str, newline: &str) -> String {
    let mut lines = vec![format!("-----BEGIN {kind}PRIVATE KEY-----")];
    let flat: String = body.split_whitespace().collect();
    lines.extend(
        flat.as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned()),
    );
    lines.push(format!("-----END {kind}PRIVATE KEY-----"));
    lines.join(newline) + newline
}

/// A real PKCS#8 Ed25519 private key: any 32 bytes are a valid seed.
fn ed25519_pkcs8(rng: &mut Rng) -> String {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend(rng.bytes(32));
    b64(&der)
}

/// A DSA-shaped DER body (`SEQUENCE` of six integers) of random bytes.
fn dsa_like(rng: &mut Rng) -> String {
    let mut der = vec![0x30, 0x82, 0x01, 0xbb, 0x02, 0x01, 0x00];
    for len in [129usize, 21, 128, 128, 20] {
        der.extend([0x02, 0x81, len as u8]);
        der.extend(rng.bytes(len));
    }
    b64(&der)
}

// Real throwaway keys, made for this test with `ssh-keygen -t ed25519`,
// `openssl ecparam -genkey`, `openssl genpkey -algorithm RSA` (1024 bits,
// `-traditional`), `openssl genpkey -algorithm ed25519 -aes-128-cbc` and
// `openssl ec -aes128`. They protect nothing. Bodies only; headers are added by `pem`.
const SSH_ED25519: &str = "
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBSglruhMG777Q8d0vXUOzW455AQNshxh2j1WttrMpRlAAAAIhB7WqlQe1q
pQAAAAtzc2gtZWQyNTUxOQAAACBSglruhMG777Q8d0vXUOzW455AQNshxh2j1WttrMpRlA
AAAECPuznrQy8rh74dlWtOvwhzwCWm9ct5RDyIbiG8n5+001KCWu6EwbvvtDx3S9dQ7Nbj
nkBA2yHGHaPVa22sylGUAAAAAAECAwQF";

const EC_P256: &str = "
MHcCAQEEINjNUSLe+BxewHCTzcsrBnILkTlsxu3KpQVVZZmjRfE1oAoGCCqGSM49
AwEHoUQDQgAEz/m1VxcKxwFCXOoXwukW/VFFkWHSqiUKUPNut57DiBJUSXGDFxvF
QIGKqLVoee1axAbNpSd/M9mHKXqxXXRPeA==";

const RSA_1024: &str = "
MIICXgIBAAKBgQC7TmhkqFav+9gVK2y53hkq7x+kUp8BssWWr7+PGQzy5/kQhc95
hf/7pMJW5HmKm1/LAM0SpaxIKmcEa04Sa/sw7z0iacisHjmebUvfwa4FRY+0M/dZ
swDH8c0p3xJT0NfpL79sJQt16Vaby9v9R0bVH5itRTI5JntYuUHHW2bDmwIDAQAB
AoGBAJm1FVwM/N58KG3u7dF1nmeqRegeWRgWsakf3m4623J2xOA3PvR174R9R3Hx
GoCRUsIPjTqRNFkgWtu4hx/89utgEEmBPhEygYT69YLzibqnxKCsieRJUtggJNlA
BoOOMXdB7gxYAuXUe8I3Ot00TmLZy1Kuku/5S3ZZdkIZL775AkEA6uJDsMvHJ5I2
2RQk119Ppzy6wOPTEi7pVTz2aFM9+SSgdftogJKagvRn1cCxyWLXFFzMwkYCeokC
oPLqayMlLwJBAMwlK1LQxrS24JARwUKaYjv/0Hb42L9a2OZKsC6x2rll1Mwwu3wS
i51wtBjZjUUfzmxsdeRDP5YMYB1+XZm2hVUCQQCbxVjM/Cfkx2QWjPRt3OjPaUgV
OkI10eSuwdJMl8AG5dKAzC2e7xsHdB0Utklx3Fn1SCIHSTTFnO2gXdk3GkTDAkEA
uFC62+vZ7GHNQOZ26g5/sRJYAoLNF4ALo2k9xvsXsxqI1c8OB4iq+3w9bs5FaWq9
MlF+45f/+ha0VQy5r8YGfQJAGahChrOiZRf7kPNn+Ke1Pr3gMRheOgRuMDGN6Jn4
7mjhGstI9oF9opWyZaa+rtcY4Mt1obuflopPrgbF30G5bA==";

const PKCS8_ENCRYPTED: &str = "
MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjZyUvLkLZRMAICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEEd5XiBDR+icxpuopRrqEZ8EQNTR
tI6eK+vZvdZkg+W8UYMzv/G74V3rmwlTnMv3pWI421A7XHwXEa1T+etDJkogxVuc
eKy0buVa/BK2BCs+Sas=";

const EC_TRADITIONAL_ENCRYPTED_BODY: &str = "
sZxcx3YMe7ZTxv5yu5BzvX8ut44+Fb+Q7cvcyD6On3lR48DawGPAa03m6kCm5hpv
UZCywmNaZ/NvFw9cfVJeKdXKeqmjGhUmuTF05d7S5+HCQdLf3+JRaBaxa239Kk87
O/wOhKTMCGhDX6h2WZj1ERl0QNNVNVBEFKHjqfYM/Kg=";

// -------------------------------------------------------------------- cases

/// One rule's hit and near miss.
struct Case {
    code: &'static str,
    path: &'static str,
    /// Text with the secret; the hit must start on `line` of it.
    hit: String,
    line: usize,
    /// The secret itself, which no finding may show.
    secret: String,
    /// Text that looks close but must not be reported by this rule.
    miss: String,
    miss_path: &'static str,
    /// Other rules that may still report the near miss (none unless stated).
    miss_also: &'static [&'static str],
}

fn case(code: &'static str, path: &'static str, hit: String, secret: String, miss: String) -> Case {
    Case {
        code,
        path,
        hit,
        line: 1,
        secret,
        miss,
        miss_path: path,
        miss_also: &[],
    }
}

fn cases() -> Vec<Case> {
    let mut r = Rng::new(7);
    let mut out = Vec::new();

    // SEC001: a PKCS#8 Ed25519 key made now; the miss is a doc-style elided key.
    let body = ed25519_pkcs8(&mut r);
    out.push(case(
        "SEC001",
        "root/.ssh/deploy.pem",
        pem("", &body, "\n"),
        body,
        pem("RSA ", "MIIEpAIBAAKCAQEA...", "\n"),
    ));

    // SEC002: AWS key id; miss: the AWS docs key and a 15-character body.
    let id = format!("AKIA{}", r.pick(UPPER_BASE32, 16));
    out.push(case(
        "SEC002",
        "etc/profile.d/aws.sh",
        format!("export AWS_ACCESS_KEY_ID={id}\n"),
        id,
        format!(
            "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nid=AKIA{}\n",
            r.pick(UPPER_BASE32, 15)
        ),
    ));

    // SEC003: secret key beside its name; miss: the AWS docs secret, low entropy.
    let key = r.pick(B64, 40);
    out.push(case(
        "SEC003",
        "root/.aws/credentials",
        format!("aws_secret_access_key = {key}\n"),
        key,
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         AWS_SECRET_ACCESS_KEY=abababababababababababababababababababab\n"
            .to_string(),
    ));

    // SEC004: service-account JSON; miss: the same file with the key redacted.
    let body = ed25519_pkcs8(&mut r);
    let escaped = pem("", &body, "\\n");
    let key_id = r.pick(b"0123456789abcdef", 40);
    let sa = |key: &str| {
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"corp-prod-4821\",\n  \
             \"private_key_id\": \"{}\",\n  \"private_key\": \"{key}\",\n  \
             \"client_email\": \"deploy@corp-prod-4821.iam.gserviceaccount.com\"\n}}\n",
            key_id
        )
    };
    let mut c = case(
        "SEC004",
        "app/gcp-sa.json",
        sa(&escaped),
        body,
        sa(&pem("", "<redacted>", "\\n")),
    );
    c.line = 5;
    out.push(c);

    // SEC005: Azure storage connection string; miss: Azurite's public dev key.
    let key = b64(&r.bytes(64));
    out.push(case(
        "SEC005",
        "app/appsettings.json",
        format!(
            "DefaultEndpointsProtocol=https;AccountName=corpstore;AccountKey={key};EndpointSuffix=core.windows.net\n"
        ),
        key,
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\n"
            .to_string(),
    ));

    // SEC006: GitHub classic token; miss: wrong length and a placeholder.
    let token = format!("ghp_{}", r.alnum(36));
    out.push(case(
        "SEC006",
        "app/.env",
        format!("GH_TOKEN={token}\n"),
        token,
        format!(
            "GH_TOKEN=ghp_{}\nGH_TOKEN=ghp_{}\n",
            r.alnum(35),
            "x".repeat(36)
        ),
    ));
    // A malformed token is no GitHub token, but a random value assigned to a
    // `*_TOKEN` variable is still a generic high-entropy secret.
    out.last_mut().expect("pushed").miss_also = &["SEC018"];

    // SEC007: GitLab; miss: placeholder body.
    let token = format!("glpat-{}", r.pick(B64URL, 20));
    out.push(case(
        "SEC007",
        "app/ci.sh",
        format!("curl --header \"PRIVATE-TOKEN: {token}\" https://gitlab.corp/api\n"),
        token,
        format!(
            "curl --header \"PRIVATE-TOKEN: glpat-{}\"\n",
            "x".repeat(20)
        ),
    ));

    // SEC008: Slack bot token; miss: template text.
    let token = format!(
        "xoxb-{}-{}-{}",
        r.pick(b"0123456789", 12),
        r.pick(b"0123456789", 13),
        r.alnum(24)
    );
    out.push(case(
        "SEC008",
        "app/config.yaml",
        format!("slack:\n  bot: {token}\n"),
        token,
        "slack:\n  bot: xoxb-your-slack-bot-token-here\n".to_string(),
    ));
    out.last_mut().expect("pushed").line = 2;

    // SEC009: Slack webhook; miss: Slack's documentation URL.
    let path = format!(
        "T{}/B{}/{}",
        r.pick(UPPER_ALNUM, 8),
        r.pick(UPPER_ALNUM, 10),
        r.alnum(24)
    );
    out.push(case(
        "SEC009",
        "app/notify.py",
        format!("URL = \"https://hooks.slack.com/services/{path}\"\n"),
        path,
        "URL = \"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\"\n"
            .to_string(),
    ));

    // SEC010: Stripe live key; miss: a test-mode key.
    let key = format!("sk_live_{}", r.alnum(24));
    out.push(case(
        "SEC010",
        "app/settings.py",
        format!("STRIPE = \"{key}\"\n"),
        key,
        format!("STRIPE = \"sk_test_{}\"\n", r.alnum(24)),
    ));

    // SEC011: Google API key; miss: 34 characters after the prefix.
    let key = format!("AIza{}", r.pick(B64URL, 35));
    out.push(case(
        "SEC011",
        "srv/www/main.js",
        format!("const k = \"{key}\";\n"),
        key,
        format!("const k = \"AIza{}\";\n", r.alnum(34)),
    ));

    // SEC012: npm token; miss: 35 characters.
    let token = format!("npm_{}", r.alnum(36));
    out.push(case(
        "SEC012",
        "app/publish.sh",
        format!("NODE_AUTH={token} npm publish\n"),
        token,
        format!("NODE_AUTH=npm_{} npm publish\n", r.alnum(35)),
    ));

    // SEC013: PyPI token; misses: a placeholder, too short after the fixed prefix.
    // The fixed prefix is base64 of the macaroon's `pypi.org` location, public.
    const PYPI: &str = "pypi-AgEIcHlwaS5vcmc";
    let token = format!("{PYPI}{}", r.pick(B64URL, 120));
    out.push(case(
        "SEC013",
        "root/.pypirc",
        format!("[pypi]\nusername = __token__\npassword = {token}\n"),
        token,
        format!(
            "[pypi]\npassword = {PYPI}{}\nrepository = {PYPI}{}\n",
            "x".repeat(60),
            r.alnum(20)
        ),
    ));
    out.last_mut().expect("pushed").line = 3;

    // SEC014: .npmrc auth token for a private registry; miss: env substitution.
    let token = r.alnum(40);
    out.push(case(
        "SEC014",
        "root/.npmrc",
        format!("//nexus.corp.internal/repository/npm/:_authToken={token}\n"),
        token,
        "//nexus.corp.internal/repository/npm/:_authToken=${NPM_TOKEN}\n".to_string(),
    ));

    // SEC015: docker config auth; miss: a `user:password` placeholder pair.
    let pair = format!("deploy:{}", r.alnum(20));
    let auth = b64(pair.as_bytes());
    let docker = |auth: &str| {
        format!("{{\"auths\":{{\"registry.corp.internal\":{{\"auth\":\"{auth}\"}}}}}}\n")
    };
    out.push(case(
        "SEC015",
        "root/.docker/config.json",
        docker(&auth),
        auth,
        docker(&b64(b"user:password")),
    ));

    // SEC016: .git-credentials; miss: documentation-style URL.
    let password = r.alnum(16);
    out.push(case(
        "SEC016",
        "root/.git-credentials",
        format!("https://alice:{password}@git.corp.internal\n"),
        password,
        "https://user:password@example.com\nhttps://alice:${GIT_PASSWORD}@git.corp.internal\n"
            .to_string(),
    ));

    // SEC017: a signed JWT; miss: jwt.io's sample and a header without `alg`.
    let jwt = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(format!(r#"{{"sub":"{}","iat":1700000000}}"#, r.alnum(12)).as_bytes()),
        r.pick(B64URL, 43)
    );
    let sample = [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
    .join(".");
    let no_alg = format!(
        "{}.{}.{}",
        b64url(br#"{"typ":"JWT","kid":"k1"}"#),
        b64url(br#"{"sub":"someone"}"#),
        r.pick(B64URL, 43)
    );
    out.push(case(
        "SEC017",
        "app/fixtures.txt",
        format!("Authorization: Bearer {jwt}\n"),
        jwt,
        format!("Authorization: Bearer {sample}\nAuthorization: Bearer {no_alg}\n"),
    ));

    // SEC018: generic assignment; misses: placeholder, low entropy, a path.
    let password = format!("{}9{}", r.alnum(10), r.alnum(9));
    out.push(case(
        "SEC018",
        "app/.env",
        format!("DB_PASSWORD={password}\n"),
        password,
        "DB_PASSWORD=changeme123\npassword=aaaaaaaaaa1\npassword_file=/run/secrets/db_password1\n\
         tokenizer: bert-base-uncased\nsecret: {{ .Values.secret }}\n\
         $newpwd = Win32::GetFullPathName($newdir);\n$pwd = Win32::GetCwd();\n\
         token = parse_token2(header)\nsecret = cfg->secret2\n"
            .to_string(),
    ));

    for c in &mut out {
        // Every hit sits below two lines of unrelated text.
        c.hit = format!("# generated by the test\n\n{}", c.hit);
        c.line += 2;
    }
    out
}

// -------------------------------------------------------------------- helpers

fn codes(findings: &[SecretFinding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule).collect()
}

/// Every rendering of `finding` that a report could show.
fn renderings(finding: &SecretFinding) -> Vec<String> {
    vec![
        finding.to_string(),
        finding.redacted.clone(),
        finding.description.clone(),
        format!("{finding:?}"),
        serde_json::to_string(finding).expect("findings serialise"),
    ]
}

/// Asserts no rendering of `findings` holds `secret` or any 8-character piece of it.
fn assert_redacted(findings: &[SecretFinding], secret: &str) {
    let flat: String = secret.split_whitespace().collect();
    let flat = flat.as_bytes();
    let window = flat.len().min(8);
    for f in findings {
        for shown in renderings(f) {
            assert!(!shown.contains(secret), "{shown} shows the secret");
            for piece in flat.windows(window) {
                let piece = std::str::from_utf8(piece).expect("ASCII secret");
                assert!(
                    !shown.contains(piece),
                    "{shown} shows {piece:?} of the secret"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------- tests

#[test]
fn rule_codes_are_unique_and_well_formed() {
    let mut seen = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for rule in rules() {
        assert!(seen.insert(rule.code), "duplicate code {}", rule.code);
        assert!(ids.insert(rule.id), "duplicate id {}", rule.id);
        assert!(
            rule.code.len() == 6
                && rule.code.starts_with("SEC")
                && rule.code[3..].bytes().all(|b| b.is_ascii_digit()),
            "{}",
            rule.code
        );
        assert!(!rule.description.is_empty());
        assert!(!rule.keywords.is_empty(), "{} has no keywords", rule.code);
        for k in rule.keywords {
            assert_eq!(*k, k.to_ascii_lowercase(), "{} keyword {k}", rule.code);
        }
        assert!((0.0..=8.0).contains(&rule.min_entropy));
    }
}

#[test]
fn every_rule_has_a_case() {
    let covered: BTreeSet<_> = cases().iter().map(|c| c.code).collect();
    let all: BTreeSet<_> = rules().iter().map(|r| r.code).collect();
    assert_eq!(covered, all);
}

#[test]
fn every_rule_hits() {
    for c in cases() {
        let findings = scan_file(c.path, c.hit.as_bytes());
        assert_eq!(codes(&findings), vec![c.code], "{}: {findings:#?}", c.code);
        let f = &findings[0];
        assert_eq!(f.line, c.line, "{}", c.code);
        assert_eq!(f.path, c.path);
        let rule = rules().iter().find(|r| r.code == c.code).expect("rule");
        assert!(!f.description.is_empty(), "{}", rule.id);
    }
}

#[test]
fn near_misses_are_not_reported() {
    for c in cases() {
        let findings = scan_file(c.miss_path, c.miss.as_bytes());
        assert!(
            findings.iter().all(|f| c.miss_also.contains(&f.rule)),
            "{}: {findings:#?}",
            c.code
        );
    }
}

#[test]
fn findings_never_show_the_secret() {
    for c in cases() {
        let findings = scan_file(c.path, c.hit.as_bytes());
        assert!(!findings.is_empty(), "{}", c.code);
        assert_redacted(&findings, &c.secret);
        for f in &findings {
            assert!(f.redacted.contains('…'), "{}", f.redacted);
            let shown = f.to_string();
            assert!(
                shown.starts_with(&format!("{}:{}: {} ", c.path, c.line, c.code)),
                "{shown}"
            );
        }
    }
}

#[test]
fn real_keys_from_openssl_and_ssh_keygen_are_found() {
    // Traditional encrypted PEM: `Proc-Type`/`DEK-Info` headers before the body.
    let encrypted_ec = format!(
        "-----BEGIN EC {p} KEY-----\nProc-Type: 4,ENCRYPTED\n\
         DEK-Info: AES-128-CBC,9AEF0FEA3D64B6BDE500EF609707E6AE\n\n{}\n-----END EC {p} KEY-----\n",
        EC_TRADITIONAL_ENCRYPTED_BODY.trim(),
        p = "PRIVATE",
    );
    let keys = [
        (
            "root/.ssh/id_ed25519",
            pem("OPENSSH ", SSH_ED25519, "\n"),
            SSH_ED25519,
            "OpenSSH private key",
        ),
        (
            "etc/ssl/private/ec.key",
            pem("EC ", EC_P256, "\n"),
            EC_P256,
            "EC private key",
        ),
        (
            "etc/ssl/private/rsa.key",
            pem("RSA ", RSA_1024, "\r\n"),
            RSA_1024,
            "RSA private key",
        ),
        (
            "etc/ssl/private/enc.key",
            pem("ENCRYPTED ", PKCS8_ENCRYPTED, "\n"),
            PKCS8_ENCRYPTED,
            "encrypted PKCS#8 private key",
        ),
        (
            "etc/ssl/private/ec-enc.key",
            encrypted_ec,
            EC_TRADITIONAL_ENCRYPTED_BODY,
            "encrypted EC private key",
        ),
    ];
    for (path, text, body, description) in keys {
        let findings = scan_file(path, text.as_bytes());
        assert_eq!(codes(&findings), ["SEC001"], "{path}: {findings:#?}");
        assert!(
            findings[0].description.starts_with(description),
            "{}",
            findings[0].description
        );
        assert_eq!(findings[0].line, 1);
        assert_redacted(&findings, body);
    }
}

#[test]
fn generated_keys_of_every_pem_kind_are_found() {
    let mut r = Rng::new(99);
    for (kind, body, description) in [
        ("", ed25519_pkcs8(&mut r), "PKCS#8 private key"),
        ("DSA ", dsa_like(&mut r), "DSA private key"),
        ("RSA ", b64(&r.bytes(600)), "RSA private key"),
    ] {
        let text = format!("line one\n{}", pem(kind, &body, "\n"));
        let findings = scan_file("opt/app/key.pem", text.as_bytes());
        assert_eq!(codes(&findings), ["SEC001"], "{kind}");
        assert_eq!(findings[0].description, description);
        assert_eq!(findings[0].line, 2);
        assert_redacted(&findings, &body);
    }
    // A PGP armoured private key block, with its header line and checksum.
    let body = b64(&r.bytes(900));
    let armour = format!(
        "-----BEGIN PGP {p} KEY BLOCK-----\nVersion: GnuPG v2\n\n{}\n={}\n-----END PGP {p} KEY BLOCK-----\n",
        body.as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("ASCII"))
            .collect::<Vec<_>>()
            .join("\n"),
        r.pick(B64, 4),
        p = "PRIVATE",
    );
    let findings = scan_file("root/.gnupg/secret.asc", armour.as_bytes());
    assert_eq!(codes(&findings), ["SEC001"]);
    assert_eq!(findings[0].description, "PGP private key block");
    assert_redacted(&findings, &body);
}

#[test]
fn pem_markers_in_source_code_are_not_keys() {
    let source = format!(
        "const BEGIN: &str = \"-----BEGIN RSA {p} KEY-----\";\n\
         fn parse(s: &str) -> Option<&str> {{ s.strip_prefix(BEGIN) }}\n\
         const END: &str = \"-----END RSA {p} KEY-----\";\n\
         pattern = r'-----BEGIN ([A-Z]+ )?{p} KEY-----'\n",
        p = "PRIVATE"
    );
    assert_eq!(
        scan_file("usr/lib/python3/dist-packages/pem.py", source.as_bytes()),
        []
    );
    assert_eq!(scan_file("src/pem.rs", source.as_bytes()), []);
    // A real key after such a string is still found.
    let mut r = Rng::new(5);
    let body = ed25519_pkcs8(&mut r);
    let mixed = format!("{source}KEY = \"\"\"\n{}\"\"\"\n", pem("", &body, "\n"));
    let findings = scan_file("app/keys.py", mixed.as_bytes());
    assert_eq!(codes(&findings), ["SEC001"]);
    assert_eq!(findings[0].line, 6);
}

#[test]
fn overlapping_hits_keep_the_specific_rule() {
    let mut r = Rng::new(11);
    let gh = format!("ghs_{}", r.alnum(36));
    for text in [
        format!("GITHUB_TOKEN={gh}\n"),
        format!("git clone https://x-access-token:{gh}@github.com/corp/app\n"),
        format!("password: {gh}\n"),
    ] {
        let findings = scan_file("app/build.sh", text.as_bytes());
        assert_eq!(codes(&findings), ["SEC006"], "{text}");
        assert_redacted(&findings, &gh);
    }
    let npm = format!("npm_{}", r.alnum(36));
    let findings = scan_file(
        "root/.npmrc",
        format!("//registry.npmjs.org/:_authToken={npm}\n").as_bytes(),
    );
    assert_eq!(codes(&findings), ["SEC012"]);
}

#[test]
fn aws_credentials_file_reports_both_halves_in_line_order() {
    let mut r = Rng::new(3);
    let id = format!("ASIA{}", r.pick(UPPER_BASE32, 16));
    let key = r.pick(B64, 40);
    let text = format!(
        "[default]\naws_access_key_id = {id}\naws_secret_access_key = {key}\nregion = eu-west-1\n"
    );
    let findings = scan_file("/root/.aws/credentials", text.as_bytes());
    assert_eq!(codes(&findings), ["SEC002", "SEC003"]);
    assert_eq!(findings.iter().map(|f| f.line).collect::<Vec<_>>(), [2, 3]);
    assert_redacted(&findings, &id);
    assert_redacted(&findings, &key);
}

#[test]
fn npmrc_basic_auth_only_counts_in_npmrc_files() {
    let mut r = Rng::new(13);
    let text = format!("_auth={}\n", b64(format!("ci:{}", r.alnum(18)).as_bytes()));
    assert_eq!(
        codes(&scan_file("usr/local/etc/npmrc", text.as_bytes())),
        ["SEC014"]
    );
    assert_eq!(
        codes(&scan_file("home/node/.npmrc", text.as_bytes())),
        ["SEC014"]
    );
    assert_eq!(scan_file("app/lib/client.py", text.as_bytes()), []);
}

#[test]
fn docker_auth_needs_an_auths_file() {
    let mut r = Rng::new(17);
    let auth = b64(format!("deploy:{}", r.alnum(20)).as_bytes());
    let not_docker = format!("{{\"auth\":\"{auth}\"}}\n");
    assert_eq!(scan_file("app/data.json", not_docker.as_bytes()), []);
    let not_pair = format!(
        "{{\"auths\":{{\"r\":{{\"auth\":\"{}\"}}}}}}\n",
        b64(r.alnum(24).as_bytes())
    );
    assert_eq!(
        scan_file("root/.docker/config.json", not_pair.as_bytes()),
        []
    );
}

#[test]
fn url_passwords_outside_git_credentials_need_entropy() {
    let mut r = Rng::new(19);
    let strong = format!("{}7{}", r.alnum(8), r.alnum(8));
    let text = format!("DATABASE_URL=postgres://app:{strong}@db.internal:5432/app\n");
    assert_eq!(codes(&scan_file("app/.env", text.as_bytes())), ["SEC016"]);
    for weak in [
        "ftp://anonymous:anonymous@mirror.internal/pub\n",
        "postgres://app:aaaaaa@db.internal/app\n",
        "https://user:s3cr3tP4ss@example.org/\n",
        "https://user:${PASSWORD}@git.internal/\n",
    ] {
        assert_eq!(scan_file("app/notes.txt", weak.as_bytes()), [], "{weak}");
    }
}

#[test]
fn binary_content_is_not_scanned() {
    let mut r = Rng::new(23);
    let token = format!("ghp_{}", r.alnum(36));
    let mut binary = b"\x7fELF\x02\x01\x01\x00".to_vec();
    binary.extend(format!("\n{token}\n").as_bytes());
    assert_eq!(scan_file("usr/bin/tool", &binary), []);
    // Invalid UTF-8 without NULs is text and is scanned.
    let mut latin1 = b"caf\xe9 \xff\xfe\n".to_vec();
    latin1.extend(format!("TOKEN={token}\n").as_bytes());
    let findings = scan_file("etc/app.conf", &latin1);
    assert_eq!(codes(&findings), ["SEC006"]);
    assert_eq!(findings[0].line, 2);
}

#[test]
fn large_files_are_scanned_up_to_the_cap() {
    let mut r = Rng::new(29);
    let early = format!("ghp_{}", r.alnum(36));
    let late = format!("ghp_{}", r.alnum(36));
    let filler = "lorem ipsum dolor sit amet, consectetur adipiscing elit\n";
    let mut text = format!("{early}\n");
    while text.len() < MAX_SCAN_BYTES + 1024 * 1024 {
        text.push_str(filler);
    }
    text.push_str(&format!("{late}\n"));
    let findings = scan_file("var/log/app.log", text.as_bytes());
    assert_eq!(codes(&findings), ["SEC006"]);
    assert_eq!(findings[0].line, 1);
    assert!(findings[0].redacted.starts_with("ghp_"));
    assert_redacted(&findings, &early);
    assert_redacted(&findings, &late);
}

#[test]
fn findings_per_file_are_capped() {
    let mut r = Rng::new(31);
    let text: String = (0..MAX_FINDINGS_PER_FILE + 50)
        .map(|_| format!("ghp_{}\n", r.alnum(36)))
        .collect();
    let findings = scan_file("app/tokens.txt", text.as_bytes());
    assert_eq!(findings.len(), MAX_FINDINGS_PER_FILE);
    assert!(findings.windows(2).all(|w| w[0].line < w[1].line));
}

#[test]
fn skipped_paths() {
    for path in [
        "usr/share/doc/openssl/demo.key",
        "/usr/share/doc/python3/README",
        "./usr/share/man/man1/x.1",
        "usr/local/lib/python3.12/test/certdata/keycert.pem",
        "usr/lib/python3/dist-packages/twisted/test/server.pem",
        "usr/local/lib/python3.11/site-packages/tornado/test/test.key",
        "app/node_modules/ssh2/test/fixtures/id_rsa",
        "usr/local/go/src/crypto/tls/testdata/example-key.pem",
        "usr/lib/go-1.22/src/crypto/x509/x509_test.go",
        "root/go/pkg/mod/github.com/x/y@v1/testdata/key.pem",
        "usr/local/bundle/gems/net-ssh-7.0/test/fixtures/key.pem",
        "app/vendor/github.com/x/y/y_test.go",
    ] {
        assert!(is_skipped_path(path), "{path}");
    }
    for path in [
        "root/.ssh/id_rsa",
        "app/test/fixtures/id_rsa",
        "app/tests/keys.pem",
        "usr/local/go/bin/go",
        "usr/local/lib/python3.12/site-packages/app/config.py",
        "etc/ssl/private/ssl-cert-snakeoil.key",
        "usr/share/nginx/html/config.js",
    ] {
        assert!(!is_skipped_path(path), "{path}");
    }
    let mut r = Rng::new(37);
    let key = pem("", &ed25519_pkcs8(&mut r), "\n");
    assert_eq!(
        scan_file(
            "usr/local/lib/python3.12/test/certdata/keycert.pem",
            key.as_bytes()
        ),
        []
    );
    assert_eq!(
        codes(&scan_file("app/test/fixtures/key.pem", key.as_bytes())),
        ["SEC001"]
    );
}

#[test]
fn the_scanner_and_its_tests_hold_no_reportable_secret() {
    for (path, text) in [
        ("tests/secrets.rs", &include_bytes!("secrets.rs")[..]),
        (
            "src/secrets/mod.rs",
            include_bytes!("../src/secrets/mod.rs"),
        ),
        (
            "src/secrets/rules.rs",
            include_bytes!("../src/secrets/rules.rs"),
        ),
        (
            "src/secrets/entropy.rs",
            include_bytes!("../src/secrets/entropy.rs"),
        ),
    ] {
        assert_eq!(scan_file(path, text), [], "{path}");
    }
}

#[test]
fn empty_and_tiny_inputs() {
    assert_eq!(scan_file("", b""), []);
    assert_eq!(scan_file("/", b"\n"), []);
    assert_eq!(scan_file("a", b"-----BEGIN "), []);
}

const SOUP: &[&str] = &[
    "-----BEGIN ",
    "RSA ",
    "OPENSSH ",
    "PRIVATE KEY-----",
    "-----END ",
    "\\n",
    "\n",
    " ",
    "=",
    ":",
    "\"",
    "AKIA",
    "ghp_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "sk_live_",
    "AIza",
    "npm_",
    "pypi-AgEIcHlwaS5vcmc",
    "_authToken=",
    "\"auths\"",
    "\"auth\": \"",
    "\"type\": \"service_account\"",
    "\"private_key\": \"",
    "https://u:",
    "@h",
    "eyJ",
    ".",
    "password=",
    "aws_secret_access_key=",
    "AccountName=a;AccountKey=",
    "hooks.slack.com/services/T",
    "\u{e9}",
    "\u{2026}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), path in "\\PC{0,40}") {
        for f in scan_file(&path, &bytes) {
            let _ = f.to_string();
        }
    }

    #[test]
    fn keyword_soup_never_panics_and_stays_redacted(
        pieces in proptest::collection::vec(
            prop_oneof![
                proptest::sample::select(SOUP).prop_map(str::to_string),
                "[A-Za-z0-9+/=_-]{1,90}",
            ],
            0..60,
        ),
    ) {
        let text = pieces.concat();
        for f in scan_file("app/soup.txt", text.as_bytes()) {
            prop_assert!(f.line >= 1 && f.line <= text.lines().count().max(1));
            prop_assert!(f.redacted.contains('…'));
            prop_assert!(f.redacted.chars().count() <= 24, "{}", f.redacted);
        }
    }
}
