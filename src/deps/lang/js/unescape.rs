//! The value of a module string written with escapes.

/// The value of a string literal's content that holds escapes.
pub(super) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let mut high: Option<u32> = None;
    while let Some(c) = chars.next() {
        if c != '\\' {
            push_unit(&mut out, &mut high, None, c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        let simple = match e {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'v' => '\u{b}',
            '0' => '\0',
            // A line continuation.
            '\n' | '\u{2028}' | '\u{2029}' => continue,
            '\r' => {
                chars.next_if_eq(&'\n');
                continue;
            }
            'x' => {
                let code = hex(&mut chars, 2);
                push_unit(&mut out, &mut high, code, 'x');
                continue;
            }
            'u' if chars.next_if_eq(&'{').is_some() => {
                let digits: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = u32::from_str_radix(&digits, 16).ok();
                push_unit(&mut out, &mut high, code, 'u');
                continue;
            }
            'u' => {
                let code = hex(&mut chars, 4);
                push_unit(&mut out, &mut high, code, 'u');
                continue;
            }
            other => other,
        };
        push_unit(&mut out, &mut high, None, simple);
    }
    if high.is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

/// `n` hex digits from `chars`, as a number.
fn hex(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, n: usize) -> Option<u32> {
    let mut v = 0;
    for _ in 0..n {
        v = v * 16 + chars.next_if(char::is_ascii_hexdigit)?.to_digit(16)?;
    }
    Some(v)
}

/// Appends a character, or the UTF-16 unit `code` (pairing surrogates, as
/// `\uD83D\uDE00` spells one character); `fallback` when `code` is missing.
fn push_unit(out: &mut String, high: &mut Option<u32>, code: Option<u32>, fallback: char) {
    let unit = match code {
        Some(u) => u,
        None => fallback as u32,
    };
    if let Some(h) = high.take() {
        if (0xdc00..0xe000).contains(&unit) {
            let c = 0x10000 + ((h - 0xd800) << 10) + (unit - 0xdc00);
            out.push(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            return;
        }
        out.push(char::REPLACEMENT_CHARACTER);
    }
    if (0xd800..0xdc00).contains(&unit) {
        *high = Some(unit);
    } else {
        out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
}
