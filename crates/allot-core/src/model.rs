//! Model names across sellers: Anthropic's API names a model `claude-sonnet-4-5` (or with its
//! date, `claude-sonnet-4-5-20250929`), Amazon Bedrock `anthropic.claude-sonnet-4-5-20250929-v1:0`
//! (or through an inference profile, `us.anthropic.…`, or its ARN), Google Vertex AI
//! `claude-sonnet-4-5@20250929` (or `publishers/anthropic/models/…`). Every review compares
//! models by family and version, so every seller's id is read as Anthropic's name; the seller
//! stays in the `product` column (`bedrock`, `vertex`).

/// Anthropic's name (family and version, no date) of a model id from any seller; an id that
/// names no Claude model is returned trimmed, unchanged.
pub fn canonical(id: &str) -> String {
    let mut name = id.trim();
    // An ARN or a path: the last segment names the model or its inference profile.
    if let Some((_, last)) = name.rsplit_once('/') {
        name = last;
    }
    // Bedrock: an optional region or profile prefix, then `anthropic.`.
    if let Some(i) = name.find("anthropic.") {
        name = &name[i + "anthropic.".len()..];
    }
    if !name.to_ascii_lowercase().starts_with("claude") {
        return id.trim().to_string();
    }
    // Vertex: `@date`; Bedrock: `-v1:0` (a version and a throughput suffix).
    if let Some((head, _)) = name.split_once('@') {
        name = head;
    }
    if let Some((head, _)) = name.split_once(':') {
        name = head;
    }
    if let Some(i) = name.rfind("-v") {
        if name[i + 2..].chars().all(|c| c.is_ascii_digit()) && i + 2 < name.len() {
            name = &name[..i];
        }
    }
    // A trailing date, `-20250929` (or `-latest`).
    if let Some((head, tail)) = name.rsplit_once('-') {
        if (tail.len() == 8 && tail.chars().all(|c| c.is_ascii_digit())) || tail == "latest" {
            name = head;
        }
    }
    name.to_ascii_lowercase()
}

/// A Claude model's family and version: `claude-sonnet-4-5` is (`sonnet`, [4, 5]), the older
/// `claude-3-5-sonnet` (`sonnet`, [3, 5]); None for a name that is not Claude's.
pub fn family_version(name: &str) -> Option<(String, Vec<u32>)> {
    let rest = canonical(name).strip_prefix("claude-")?.to_string();
    let mut family = String::new();
    let mut version = Vec::new();
    for part in rest.split('-') {
        match part.parse::<u32>() {
            Ok(n) => version.push(n),
            Err(_) if family.is_empty() => family = part.to_string(),
            Err(_) => return None,
        }
    }
    (!family.is_empty()).then_some((family, version))
}

/// The model to suggest instead of one ranked above `next`: the latest version of `next`'s
/// family among `models` (Sonnet 4.6 rather than a Sonnet 4.5 one seller bills a little less
/// per token), else `next` itself.
pub fn latest_of_family<'a>(next: &'a str, models: &'a [String]) -> &'a str {
    let Some((family, _)) = family_version(next) else {
        return next;
    };
    models
        .iter()
        .filter_map(|m| family_version(m).map(|(f, v)| (f, v, m)))
        .filter(|(f, _, _)| *f == family)
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.2.cmp(a.2)))
        .map_or(next, |(_, _, m)| m.as_str())
}

#[cfg(test)]
mod tests {
    use super::{canonical, family_version, latest_of_family};

    #[test]
    fn the_next_model_down_is_its_familys_latest() {
        assert_eq!(
            family_version("claude-sonnet-4-5"),
            Some(("sonnet".into(), vec![4, 5]))
        );
        assert_eq!(
            family_version("claude-3-5-sonnet"),
            Some(("sonnet".into(), vec![3, 5]))
        );
        assert_eq!(family_version("gpt-4"), None);
        let models: Vec<String> = [
            "claude-opus-4-6",
            "claude-sonnet-4-5",
            "claude-sonnet-4-6",
            "claude-haiku-4-5",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            latest_of_family("claude-sonnet-4-5", &models),
            "claude-sonnet-4-6"
        );
        assert_eq!(
            latest_of_family("claude-haiku-4-5", &models),
            "claude-haiku-4-5"
        );
        assert_eq!(latest_of_family("other", &models), "other");
    }

    #[test]
    fn every_sellers_id_is_anthropics_name() {
        for (id, want) in [
            ("claude-sonnet-4-6", "claude-sonnet-4-6"),
            ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
            ("anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
            ("us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
            (
                "arn:aws:bedrock:us-east-1:444455556666:inference-profile/global.anthropic.claude-opus-4-6-v1",
                "claude-opus-4-6",
            ),
            ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
            ("publishers/anthropic/models/claude-opus-4-1@20250805", "claude-opus-4-1"),
            ("anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"),
            ("claude-3-7-sonnet-latest", "claude-3-7-sonnet"),
            ("amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0"),
            ("", ""),
        ] {
            assert_eq!(canonical(id), want, "{id}");
        }
    }
}
