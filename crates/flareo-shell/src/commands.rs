//! From tokens to the simple commands a script runs: separators, pipelines,
//! compound commands (`if`, `for`, `while`, `case`, groups, subshells), function
//! bodies, and commands inside command substitutions.

use crate::lex::{Token, Word, lex};

/// One simple command: its words after leading assignments, and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` assignments written before the command (`FOO=1 make`).
    pub assignments: Vec<(String, Word)>,
    /// The command name and its arguments (redirections removed).
    pub argv: Vec<Word>,
    /// 1-based line within the script where the command starts.
    pub line: usize,
}

/// Every simple command found, and whether the whole script could be analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// Commands in script order; commands inside `$(...)` follow the command using them.
    pub commands: Vec<SimpleCommand>,
    /// False when the script has a syntax problem (unterminated quote, substitution
    /// or heredoc); commands before the problem are still listed.
    pub complete: bool,
}

/// Reserved words that may open or continue a compound command at command position.
const RESERVED: [&str; 13] = [
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "{", "}", "!", "esac",
];

/// Finds the simple commands of a script. Never panics.
pub fn commands(script: &str) -> Analysis {
    commands_at(script, 1)
}

/// Like [`commands`], with lines counted from `first_line`.
pub(crate) fn commands_at(script: &str, first_line: usize) -> Analysis {
    let lexed = lex(script);
    let mut out = Analysis {
        commands: Vec::new(),
        complete: lexed.complete,
    };
    let tokens = lexed.tokens;
    let mut current: Option<SimpleCommand> = None;
    // Words to skip until the next separator (`for x in a b c`, `case w in`).
    let mut skipping = false;
    // Inside `case`: true while reading patterns (up to `)`).
    let mut case_patterns: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Newline(_) | Token::Op(_, _) => {
                let op = match &tokens[i] {
                    Token::Op(op, _) => Some(*op),
                    _ => None,
                };
                // `name ( )` is a function definition, not a call of `name`.
                let is_fn_def = op == Some("(")
                    && matches!(tokens.get(i + 1), Some(Token::Op(")", _)))
                    && current
                        .as_ref()
                        .is_some_and(|c| c.argv.len() == 1 && c.assignments.is_empty());
                if is_fn_def {
                    current = None;
                    i += 2;
                    continue;
                }
                finish(&mut current, &mut out, first_line);
                skipping = false;
                match op {
                    Some(";;" | ";&" | ";;&") => {
                        if let Some(top) = case_patterns.last_mut() {
                            *top = true;
                        }
                    }
                    Some(")") => {
                        if let Some(top) = case_patterns.last_mut()
                            && *top
                        {
                            *top = false;
                        }
                    }
                    _ => {}
                }
            }
            Token::Redirect(_) => {
                // The target word is not an argument.
                if let Some(Token::Word(w)) = tokens.get(i + 1) {
                    collect_substitutions(w, &mut out, first_line);
                    i += 1;
                }
            }
            Token::Word(w) => {
                if case_patterns.last() == Some(&true) {
                    if w.literal() == Some("esac") {
                        case_patterns.pop();
                    }
                    i += 1;
                    continue;
                }
                if skipping {
                    collect_substitutions(w, &mut out, first_line);
                    if w.literal() == Some("in")
                        && case_patterns.last() == Some(&false)
                        && current.is_none()
                    {
                        // `case WORD in`: patterns follow.
                        if let Some(top) = case_patterns.last_mut() {
                            *top = true;
                        }
                        skipping = false;
                    }
                    i += 1;
                    continue;
                }
                let at_start = current.is_none();
                if at_start {
                    match w.literal() {
                        Some("esac") => {
                            case_patterns.pop();
                            i += 1;
                            continue;
                        }
                        Some(word) if RESERVED.contains(&word) => {
                            i += 1;
                            continue;
                        }
                        Some("for" | "select") => {
                            skipping = true;
                            i += 1;
                            continue;
                        }
                        Some("case") => {
                            case_patterns.push(false);
                            skipping = true;
                            i += 1;
                            continue;
                        }
                        Some("function") => {
                            // `function name { ...; }` / `function name() ...`
                            i += 2;
                            continue;
                        }
                        _ => {}
                    }
                }
                collect_substitutions(w, &mut out, first_line);
                let cmd = current.get_or_insert_with(|| SimpleCommand {
                    assignments: Vec::new(),
                    argv: Vec::new(),
                    line: w.line,
                });
                if cmd.argv.is_empty()
                    && let Some((name, value)) = split_assignment(w)
                {
                    cmd.assignments.push((name, value));
                    i += 1;
                    continue;
                }
                cmd.argv.push(w.clone());
            }
        }
        i += 1;
    }
    finish(&mut current, &mut out, first_line);
    out
}

fn finish(current: &mut Option<SimpleCommand>, out: &mut Analysis, first_line: usize) {
    if let Some(mut cmd) = current.take()
        && !cmd.argv.is_empty()
    {
        cmd.line += first_line - 1;
        out.commands.push(cmd);
    }
}

/// Adds the commands of `$(...)` / backtick substitutions in `w`.
fn collect_substitutions(w: &Word, out: &mut Analysis, first_line: usize) {
    for (script, line) in &w.substitutions {
        let inner = commands_at(script, first_line + line - 1);
        out.complete &= inner.complete;
        out.commands.extend(inner.commands);
    }
}

/// `NAME=value` with a literal, valid NAME.
fn split_assignment(w: &Word) -> Option<(String, Word)> {
    let eq = w.raw.find('=')?;
    let name = &w.raw[..eq];
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let value_start = w.value.find('=').map_or(w.value.len(), |i| i + 1);
    let value = Word {
        raw: w.raw[eq + 1..].to_string(),
        value: w.value[value_start..].to_string(),
        dynamic: w.dynamic,
        substitutions: Vec::new(),
        line: w.line,
    };
    Some((name.to_string(), value))
}
