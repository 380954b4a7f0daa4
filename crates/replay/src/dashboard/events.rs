//! The ticker: scaling events of the recording (SuccessfulRescale, pods
//! created and killed), from its objects.

use serde::Serialize;
use serde_json::Value;
use understudy_core::WatchEvent;

use crate::kube::timeline::Timeline;

/// One line of the ticker, at recording time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TickerEvent {
    /// Recording time (ms).
    pub position_ms: i64,
    /// What happened: `rescale`, `pod-created`, `pod-killed`, …; the page
    /// styles the line by it.
    #[serde(rename = "kind")]
    pub kind: &'static str,
    /// The line as shown: for a rescale the HPA and the Event's message.
    pub text: String,
}

/// Every scaling event of the recording, in time order. A folded Event
/// (same reason, count raised) is one line per repeat.
pub fn scaling_events(timeline: &Timeline) -> Vec<TickerEvent> {
    let mut out = Vec::new();
    let mut counts: std::collections::HashMap<String, i64> = Default::default();
    let mut seen_pods: std::collections::HashSet<String> = Default::default();
    for c in timeline.changes() {
        let kind = timeline.resources.get(c.resource).kind.as_str();
        let o: &Value = &c.object;
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        match kind {
            "Event" if o["reason"] == "SuccessfulRescale" && c.event != WatchEvent::Deleted => {
                let key = format!(
                    "{}/{name}",
                    o["metadata"]["namespace"].as_str().unwrap_or_default()
                );
                let count = o["count"]
                    .as_i64()
                    .or_else(|| o["series"]["count"].as_i64())
                    .unwrap_or(1);
                let before = counts.insert(key, count).unwrap_or(0);
                let about = if o["involvedObject"].is_object() {
                    &o["involvedObject"]
                } else {
                    &o["regarding"]
                };
                let message = short(
                    o["message"]
                        .as_str()
                        .or(o["note"].as_str())
                        .unwrap_or_default(),
                );
                for _ in before..count.max(before + 1).min(before + 100) {
                    out.push(TickerEvent {
                        position_ms: c.at,
                        kind: "rescale",
                        text: format!(
                            "{} {}: {message}",
                            about["kind"].as_str().unwrap_or("HPA"),
                            about["name"].as_str().unwrap_or_default()
                        ),
                    });
                }
            }
            // Only the first sighting of a pod is its creation (a relist
            // repeats ADDED), and a pod that was there long before the
            // recorder saw it was not created then.
            "Pod"
                if c.event == WatchEvent::Added
                    && seen_pods.insert(name.to_owned())
                    && o["metadata"]["creationTimestamp"]
                        .as_str()
                        .and_then(understudy_core::parse_rfc3339_ms)
                        .is_none_or(|t| t >= c.at - 60_000) =>
            {
                out.push(TickerEvent {
                    position_ms: c.at,
                    kind: "pod-created",
                    text: format!("pod {name} created"),
                })
            }
            "Pod" if c.event == WatchEvent::Deleted => out.push(TickerEvent {
                position_ms: c.at,
                kind: "pod-killed",
                text: format!("pod {name} killed"),
            }),
            _ => {}
        }
    }
    out.sort_by_key(|e| e.position_ms);
    out
}

/// A rescale message without the metric's label selector, which fills a
/// line on its own: `New size: 10; reason: external metric
/// s0-nats-jetstream-MEMES(&LabelSelector{…}) above target` loses the part
/// in parentheses.
fn short(message: &str) -> String {
    match (message.find("(&LabelSelector"), message.rfind(')')) {
        (Some(a), Some(b)) if b > a => format!("{}{}", &message[..a], &message[b + 1..]),
        _ => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn selectors_leave_rescale_messages() {
        assert_eq!(
            short(
                "New size: 10; reason: external metric s0-nats-jetstream-MEMES(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: meme-backend,},MatchExpressions:[]LabelSelectorRequirement{},}) above target"
            ),
            "New size: 10; reason: external metric s0-nats-jetstream-MEMES above target"
        );
        assert_eq!(
            short("New size: 2; reason: All metrics below target"),
            "New size: 2; reason: All metrics below target"
        );
    }
}
