//! "Did you mean" suggestions for mistyped names.

/// Up to three names closest to `wanted`, best first; only plausible ones.
pub fn closest(wanted: &str, names: &[&str]) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> =
        names.iter().map(|n| (strsim::jaro_winkler(wanted, n), *n)).filter(|(s, _)| *s >= 0.7).collect();
    // Highest score first; ties broken by name so output is stable.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n.to_string()).collect()
}

/// `"; did you mean `a` or `b`?"`, or nothing.
pub fn did_you_mean(candidates: &[String]) -> String {
    match candidates {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|c| format!("`{c}`")).collect();
            format!("; did you mean {} or `{last}`?", init.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["payment", "course", "catalog-sdk"];
        assert_eq!(closest("paymnet", &names), ["payment"]);
        assert!(closest("zzz", &names).is_empty());
        assert_eq!(did_you_mean(&["a".into(), "b".into()]), "; did you mean `a` or `b`?");
    }
}
