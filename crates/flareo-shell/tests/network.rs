//! Network detection: a hit and a near miss for each tool family, and the shell
//! shapes that hide or fake a call. `check(script, expected)` lists `line:command@host`.

use flareo_shell::{commands, network_calls, network_use};

fn calls(script: &str) -> Vec<String> {
    network_calls(script)
        .into_iter()
        .map(|c| {
            format!(
                "{}:{}@{}",
                c.line,
                c.usage.command,
                c.usage.host.unwrap_or_default()
            )
        })
        .collect()
}

#[track_caller]
fn check(script: &str, expected: &[&str]) {
    assert_eq!(calls(script), expected, "script: {script:?}");
}

#[track_caller]
fn none(script: &str) {
    check(script, &[]);
}

#[test]
fn system_package_managers() {
    check(
        "apt-get update && apt-get install -y curl",
        &[
            "1:apt-get update@deb.debian.org",
            "1:apt-get install@deb.debian.org",
        ],
    );
    check(
        "apt-get -qq -o Dpkg::Use-Pty=0 install x",
        &["1:apt-get install@deb.debian.org"],
    );
    check("apt upgrade", &["1:apt upgrade@deb.debian.org"]);
    none(
        "apt-get clean && apt-get autoremove && rm -rf /var/lib/apt/lists/* && apt-cache policy x",
    );
    none("dpkg -i /tmp/x.deb");
    check(
        "apk add --no-cache curl",
        &["1:apk add@dl-cdn.alpinelinux.org"],
    );
    check("apk -U upgrade", &["1:apk upgrade@dl-cdn.alpinelinux.org"]);
    none("apk add --no-network --allow-untrusted /pkgs/x.apk");
    none("apk info -v");
    check("dnf -y install gcc", &["1:dnf install@"]);
    check("microdnf update", &["1:microdnf update@"]);
    check("yum makecache", &["1:yum makecache@"]);
    none("yum clean all");
    check("pacman -Syu --noconfirm", &["1:pacman -S@"]);
    none("pacman -Q");
}

#[test]
fn language_tools() {
    check("npm install express", &["1:npm install@registry.npmjs.org"]);
    check("npm --prefix /app ci", &["1:npm ci@registry.npmjs.org"]);
    none("npm ci --offline");
    none("npm run build && npm rebuild && npm test");
    check("pnpm add lodash", &["1:pnpm add@registry.npmjs.org"]);
    check("yarn", &["1:yarn install@registry.yarnpkg.com"]);
    check(
        "yarn --frozen-lockfile",
        &["1:yarn install@registry.yarnpkg.com"],
    );
    none("yarn install --offline");
    none("yarn build && yarn run lint");
    check("npx create-react-app x", &["1:npx@registry.npmjs.org"]);
    none("npx --no-install tsc");
    check("pip install requests", &["1:pip install@pypi.org"]);
    check(
        "pip3 --no-cache-dir install -r requirements.txt",
        &["1:pip3 install@pypi.org"],
    );
    check(
        "python -m pip install x",
        &["1:python -m pip install@pypi.org"],
    );
    check(
        "python3.12 -m pip download x",
        &["1:python3.12 -m pip download@pypi.org"],
    );
    none("pip install --no-index --find-links /wheels -r requirements.txt");
    none("pip freeze && python -m venv /v && python3 -m compileall .");
    check("uv pip install x", &["1:uv pip install@pypi.org"]);
    check("uv sync", &["1:uv sync@pypi.org"]);
    none("uv sync --offline");
    check("poetry install --no-root", &["1:poetry install@pypi.org"]);
    none("poetry build");
    check(
        "cargo install cargo-tree",
        &["1:cargo install@index.crates.io"],
    );
    check(
        "cargo build --release --locked",
        &["1:cargo build@index.crates.io"],
    );
    check("cargo +nightly fetch", &["1:cargo fetch@index.crates.io"]);
    none("cargo build --release --offline");
    none("cargo build --frozen");
    none("CARGO_NET_OFFLINE=true cargo build");
    none("cargo fmt && cargo --version");
    check("go get github.com/x/y", &["1:go get@proxy.golang.org"]);
    check("go mod download", &["1:go mod download@proxy.golang.org"]);
    check(
        "go install golang.org/x/tools/gopls@v0.15.0",
        &["1:go install@proxy.golang.org"],
    );
    none("go install ./cmd/server");
    none("go build -mod=vendor -o /out/server ./cmd/server");
    none("GOPROXY=off go mod download");
    check("gem install rails", &["1:gem install@rubygems.org"]);
    check("bundle install", &["1:bundle install@rubygems.org"]);
    check("bundle", &["1:bundle install@rubygems.org"]);
    none("bundle install --local");
    none("bundle exec rake");
    check(
        "composer install",
        &["1:composer install@repo.packagist.org"],
    );
    check("mvn -B package", &["1:mvn@repo.maven.apache.org"]);
    none("mvn -o package");
    check("./gradlew build", &["1:gradlew@plugins.gradle.org"]);
    none("./gradlew --offline build");
    check("dotnet restore", &["1:dotnet restore@api.nuget.org"]);
    none("dotnet build --no-restore");
}

#[test]
fn downloads_and_vcs() {
    check(
        "curl -fsSL https://example.com/install.sh | sh",
        &["1:curl@example.com"],
    );
    check(
        "wget -q -O /tmp/x http://dl.example.org:8080/x.tgz",
        &["1:wget@dl.example.org"],
    );
    check("curl -o out $URL", &["1:curl@"]);
    none("curl --version");
    none("wget --help");
    check("nc example.com 80", &["1:nc@example.com"]);
    none("nc -l 8080");
    check("scp user@host.example:/x /y", &["1:scp@host.example"]);
    none("scp /a /b");
    check(
        "git clone https://github.com/example/repo.git",
        &["1:git clone@github.com"],
    );
    check("git -C /src fetch origin", &["1:git fetch@"]);
    check(
        "git clone git@gitlab.com:a/b.git",
        &["1:git clone@gitlab.com"],
    );
    check("git submodule update --init", &["1:git submodule@"]);
    none("git init && git apply x.patch && git log && git rev-parse HEAD");
    check(
        "hg clone https://hg.example.org/r",
        &["1:hg clone@hg.example.org"],
    );
    check(
        "svn co svn://svn.example.org/trunk",
        &["1:svn co@svn.example.org"],
    );
}

#[test]
fn mentions_are_not_calls() {
    none("echo \"run apt-get install to fix\"");
    none("# curl http://example.com");
    none("echo hi # wget http://x");
    none("printf 'wget %s\\n' x");
    none("cat > /x.sh <<EOF\ncurl https://example.com\napt-get install x\nEOF\nchmod +x /x.sh");
    none("cat <<-'END'\n\tnpm install\n\tEND");
    none("grep -r 'pip install' /docs");
    none("command -v curl");
}

#[test]
fn hidden_calls_are_found() {
    check(
        "echo $(curl -s https://example.com/v)",
        &["1:curl@example.com"],
    );
    check("V=`wget -qO- http://example.com`", &["1:wget@example.com"]);
    check(
        "echo \"version: $(git ls-remote https://h.example/r)\"",
        &["1:git ls-remote@h.example"],
    );
    check(
        "sh -c 'apk add curl'",
        &["1:apk add@dl-cdn.alpinelinux.org"],
    );
    check("bash -lc \"npm ci\"", &["1:npm ci@registry.npmjs.org"]);
    check("/bin/sh -euxc 'pip install x'", &["1:pip install@pypi.org"]);
    check(
        "sudo -E apt-get install x",
        &["1:apt-get install@deb.debian.org"],
    );
    check(
        "sudo -u app npm install",
        &["1:npm install@registry.npmjs.org"],
    );
    check(
        "env -i PATH=/bin HOME=/root apk add x",
        &["1:apk add@dl-cdn.alpinelinux.org"],
    );
    check(
        "echo pkgs | xargs -n1 apk add",
        &["1:apk add@dl-cdn.alpinelinux.org"],
    );
    check(
        "timeout 30 curl https://example.com",
        &["1:curl@example.com"],
    );
    check(
        "nohup nice -n 5 wget http://example.com/x",
        &["1:wget@example.com"],
    );
    check(
        "eval \"apt-get install x\"",
        &["1:apt-get install@deb.debian.org"],
    );
    check("su -c 'gem install x' app", &["1:gem install@rubygems.org"]);
    check(
        "\"apt-get\" install x",
        &["1:apt-get install@deb.debian.org"],
    );
    check("/usr/bin/curl https://example.com", &["1:curl@example.com"]);
    check("a\\pk add x", &["1:apk add@dl-cdn.alpinelinux.org"]);
    check("busybox wget http://example.com", &["1:wget@example.com"]);
}

#[test]
fn compound_commands_and_lines() {
    let script = "set -eux; \\\n  apt-get update \\\n  && apt-get install -y --no-install-recommends ca-certificates\nif ! command -v curl; then\n  curl https://example.com\nfi\nfor p in a b; do npm install $p; done\ncase \"$X\" in\n  a|b) wget http://example.com ;;\n  *) echo apt-get install ;;\nesac\n(cd /x && git clone https://example.com/r)\n{ pip install y; }\nf() { cargo fetch; }\nwhile false; do yarn add x; done\n";
    check(
        script,
        &[
            "2:apt-get update@deb.debian.org",
            "3:apt-get install@deb.debian.org",
            "5:curl@example.com",
            "7:npm install@registry.npmjs.org",
            "9:wget@example.com",
            "12:git clone@example.com",
            "13:pip install@pypi.org",
            "14:cargo fetch@index.crates.io",
            "15:yarn add@registry.yarnpkg.com",
        ],
    );
}

#[test]
fn for_and_case_words_are_not_commands() {
    none("for curl in wget git; do echo $curl; done");
    none("case $x in\n  curl) echo ;;\nesac");
}

#[test]
fn dynamic_command_names_are_not_guessed() {
    none("$PKG_MGR install x");
    none("${INSTALLER:-apt-get} install x");
    let a = commands("$PKG install x");
    assert_eq!(a.commands.len(), 1);
    assert_eq!(a.commands[0].argv[0].literal(), None);
    assert_eq!(a.commands[0].argv[1].literal(), Some("install"));
}

#[test]
fn assignments_and_redirections() {
    let a = commands("FOO=bar BAZ=\"q x\" make -j2 > /tmp/log 2>&1 < in.txt");
    assert!(a.complete);
    let c = &a.commands[0];
    assert_eq!(
        c.assignments
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
            .collect::<Vec<_>>(),
        [("FOO", "bar"), ("BAZ", "q x")]
    );
    assert_eq!(
        c.argv.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(),
        ["make", "-j2"]
    );
}

#[test]
fn incomplete_scripts_are_flagged_but_analysed() {
    let a = commands("apk add x; echo 'unterminated");
    assert!(!a.complete);
    assert_eq!(a.commands[0].argv[0].value, "apk");
    assert!(!commands("echo $(curl x").complete);
    assert!(!commands("cat <<EOF\nno end").complete);
    assert!(commands("echo ok").complete);
}

#[test]
fn exec_form_argv() {
    let argv = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        network_use(&argv(&["apt-get", "install", "x"])).map(|u| u.command),
        Some("apt-get install".into())
    );
    assert_eq!(
        network_use(&argv(&["/bin/sh", "-c", "curl https://a.example"])).and_then(|u| u.host),
        Some("a.example".into())
    );
    assert_eq!(network_use(&argv(&["echo", "apt-get install"])), None);
    assert_eq!(network_use(&argv(&[])), None);
}

mod never_panics {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_scripts(s in "(?s)(apt-get|curl|sh|-c|<<|EOF|\\$\\(|`|'|\"|\\\\|\\||&|;|\\(|\\)|\\{|\\}|case|in|esac|for|do|done|=| |\n|[a-z$#-]){0,60}") {
            let _ = flareo_shell::commands(&s);
            let _ = flareo_shell::network_calls(&s);
        }

        #[test]
        fn arbitrary_text(s in "\\PC{0,200}") {
            let _ = flareo_shell::network_calls(&s);
        }
    }
}
