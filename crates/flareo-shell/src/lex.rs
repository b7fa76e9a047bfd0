//! A POSIX sh / bash lexer good enough for static analysis: words with quotes and
//! escapes resolved, operators, redirections, comments, heredoc bodies skipped, and
//! the scripts inside `$(...)` and backticks kept for recursive analysis.

/// One word of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text as written (quotes included).
    pub raw: String,
    /// The value after quote removal; expansions left as written.
    pub value: String,
    /// True when part of the word depends on run-time expansion (`$X`, `$(..)`, `` `..` ``).
    pub dynamic: bool,
    /// Scripts of command substitutions inside the word, with the line each starts on.
    pub substitutions: Vec<(String, usize)>,
    /// 1-based line of the word's first character.
    pub line: usize,
}

impl Word {
    /// The word's value when it has no run-time expansion.
    pub fn literal(&self) -> Option<&str> {
        (!self.dynamic).then_some(self.value.as_str())
    }
}

/// A lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Word(Word),
    /// `;` `&&` `||` `|` `|&` `&` `;;` `;&` `;;&` `(` `)`.
    Op(&'static str, usize),
    /// A redirection operator (`>`, `2>&1`'s `>&`, `<<`, ...); its target follows.
    Redirect(&'static str),
    Newline(usize),
}

/// The token stream and whether the script lexed completely.
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) complete: bool,
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    complete: bool,
    pending_heredocs: Vec<(String, bool)>,
    _src: &'a str,
}

const OPS: [&str; 11] = [";;&", ";;", ";&", "&&", "||", "|&", ";", "|", "&", "(", ")"];
const REDIRS: [&str; 11] = [
    "<<<", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", "&>", "<", ">",
];

/// Tokenises a script. Never panics; an unterminated quote, substitution or heredoc
/// marks the result incomplete and ends the token stream there.
pub(crate) fn lex(src: &str) -> Lexed {
    let mut lx = Lexer {
        chars: src.chars().collect(),
        pos: 0,
        line: 1,
        complete: true,
        pending_heredocs: Vec::new(),
        _src: src,
    };
    let tokens = lx.run();
    Lexed {
        tokens,
        complete: lx.complete,
    }
}

impl Lexer<'_> {
    fn peek(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c))
    }

    fn run(&mut self) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut heredoc_target_next = false;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
                '\\' if self.peek(1) == Some('\n') => {
                    self.pos += 2;
                    self.line += 1;
                }
                '\n' => {
                    self.pos += 1;
                    tokens.push(Token::Newline(self.line));
                    self.line += 1;
                    if !self.pending_heredocs.is_empty() && !self.skip_heredoc_bodies() {
                        self.complete = false;
                        return tokens;
                    }
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                '&' if self.peek(1) == Some('>') => {
                    self.pos += if self.peek(2) == Some('>') { 3 } else { 2 };
                    tokens.push(Token::Redirect("&>"));
                }
                _ => {
                    if let Some(op) = OPS.iter().find(|op| self.starts_with(op)) {
                        self.pos += op.chars().count();
                        tokens.push(Token::Op(op, self.line));
                        continue;
                    }
                    // An IO number (`2>`) belongs to the redirection.
                    let digits = self.chars[self.pos..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    let save = self.pos;
                    self.pos += digits;
                    if let Some(r) = REDIRS.iter().find(|r| self.starts_with(r)) {
                        self.pos += r.chars().count();
                        tokens.push(Token::Redirect(r));
                        heredoc_target_next = matches!(*r, "<<" | "<<-");
                        if heredoc_target_next {
                            self.pending_heredocs.push((String::new(), *r == "<<-"));
                        }
                        continue;
                    }
                    self.pos = save;
                    match self.word() {
                        Some(w) => {
                            if heredoc_target_next {
                                if let Some(last) = self.pending_heredocs.last_mut() {
                                    last.0 = w.value.clone();
                                }
                                heredoc_target_next = false;
                            }
                            tokens.push(Token::Word(w));
                        }
                        None => {
                            self.complete = false;
                            return tokens;
                        }
                    }
                }
            }
        }
        if !self.pending_heredocs.is_empty() {
            self.complete = false;
        }
        tokens
    }

    /// Skips the bodies of heredocs opened on the line just ended. False when one is unterminated.
    fn skip_heredoc_bodies(&mut self) -> bool {
        for (delim, strip_tabs) in std::mem::take(&mut self.pending_heredocs) {
            loop {
                if self.pos >= self.chars.len() {
                    return false;
                }
                let start = self.pos;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                let line: String = self.chars[start..self.pos].iter().collect();
                if self.peek(0) == Some('\n') {
                    self.pos += 1;
                }
                self.line += 1;
                let line = line.trim_end_matches('\r');
                let candidate = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if candidate == delim {
                    break;
                }
            }
        }
        true
    }

    /// Reads one word; `None` when a quote or substitution is unterminated.
    fn word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut w = Word {
            raw: String::new(),
            value: String::new(),
            dynamic: false,
            substitutions: Vec::new(),
            line: self.line,
        };
        while let Some(c) = self.peek(0) {
            if matches!(
                c,
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
            ) {
                break;
            }
            match c {
                '\\' => {
                    match self.peek(1) {
                        Some('\n') => self.line += 1,
                        Some(n) => w.value.push(n),
                        None => {}
                    }
                    self.pos += 2;
                }
                '\'' => {
                    self.pos += 1;
                    loop {
                        match self.peek(0) {
                            None => return None,
                            Some('\'') => break,
                            Some(ch) => {
                                if ch == '\n' {
                                    self.line += 1;
                                }
                                w.value.push(ch);
                                self.pos += 1;
                            }
                        }
                    }
                    self.pos += 1;
                }
                '"' => {
                    self.pos += 1;
                    loop {
                        match self.peek(0) {
                            None => return None,
                            Some('"') => break,
                            Some('\\') => {
                                match self.peek(1) {
                                    Some(n @ ('$' | '`' | '"' | '\\')) => w.value.push(n),
                                    Some('\n') => self.line += 1,
                                    Some(n) => {
                                        w.value.push('\\');
                                        w.value.push(n);
                                    }
                                    None => return None,
                                }
                                self.pos += 2;
                            }
                            Some('$') | Some('`') => self.expansion(&mut w)?,
                            Some(ch) => {
                                if ch == '\n' {
                                    self.line += 1;
                                }
                                w.value.push(ch);
                                self.pos += 1;
                            }
                        }
                    }
                    self.pos += 1;
                }
                '$' | '`' => self.expansion(&mut w)?,
                _ => {
                    w.value.push(c);
                    self.pos += 1;
                }
            }
        }
        w.raw = self.chars[start..self.pos.min(self.chars.len())]
            .iter()
            .collect();
        Some(w)
    }

    /// Reads `$name`, `${...}`, `$(...)`, `$((...))` or `` `...` `` into `w`.
    fn expansion(&mut self, w: &mut Word) -> Option<()> {
        let c = self.peek(0)?;
        if c == '`' {
            let line = self.line;
            self.pos += 1;
            let mut inner = String::new();
            loop {
                match self.peek(0) {
                    None => return None,
                    Some('`') => break,
                    Some('\\') if self.peek(1).is_some_and(|n| matches!(n, '`' | '\\' | '$')) => {
                        inner.push(self.peek(1)?);
                        self.pos += 2;
                    }
                    Some(ch) => {
                        if ch == '\n' {
                            self.line += 1;
                        }
                        inner.push(ch);
                        self.pos += 1;
                    }
                }
            }
            self.pos += 1;
            w.value.push_str("`…`");
            w.dynamic = true;
            w.substitutions.push((inner, line));
            return Some(());
        }
        // c == '$'
        match self.peek(1) {
            Some('(') if self.peek(2) == Some('(') => {
                let inner = self.balanced(3, '(', ')')?;
                // `$((` … `))`: arithmetic, no commands.
                let _ = inner;
                if self.peek(0) == Some(')') {
                    self.pos += 1;
                }
                w.value.push_str("$((…))");
                w.dynamic = true;
            }
            Some('(') => {
                let line = self.line;
                let inner = self.balanced(2, '(', ')')?;
                w.value.push_str("$(…)");
                w.dynamic = true;
                w.substitutions.push((inner, line));
            }
            Some('{') => {
                let inner = self.balanced(2, '{', '}')?;
                w.value.push_str(&format!("${{{inner}}}"));
                w.dynamic = true;
            }
            Some(n)
                if n.is_ascii_alphanumeric()
                    || matches!(n, '_' | '@' | '*' | '#' | '?' | '-' | '$' | '!') =>
            {
                let len = if n.is_ascii_alphabetic() || n == '_' {
                    self.chars[self.pos + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                        .count()
                } else {
                    1
                };
                let name: String = self.chars[self.pos + 1..self.pos + 1 + len]
                    .iter()
                    .collect();
                self.pos += 1 + len;
                w.value.push('$');
                w.value.push_str(&name);
                w.dynamic = true;
            }
            _ => {
                w.value.push('$');
                self.pos += 1;
            }
        }
        Some(())
    }

    /// From `self.pos + skip`, reads up to the matching `close`, honouring quotes.
    /// Returns the inner text and leaves `pos` after the closer.
    fn balanced(&mut self, skip: usize, open: char, close: char) -> Option<String> {
        self.pos += skip;
        let start = self.pos;
        let mut depth = 1usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek(0) {
            if c == '\n' {
                self.line += 1;
            }
            match quote {
                Some(q) => {
                    if c == '\\' && q == '"' {
                        self.pos += 1;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => {
                    if c == '\\' {
                        self.pos += 1;
                    } else if c == '\'' || c == '"' {
                        quote = Some(c);
                    } else if c == open {
                        depth += 1;
                    } else if c == close {
                        depth -= 1;
                        if depth == 0 {
                            let inner: String = self.chars[start..self.pos].iter().collect();
                            self.pos += 1;
                            return Some(inner);
                        }
                    }
                }
            }
            self.pos += 1;
        }
        None
    }
}
