//! The Kubernetes API's wire protocol, as two servers of understudy speak
//! it: the replay's Kubernetes API (`understudy replay --kube-listen`) and
//! the fixture API server the tests of the Kubernetes source and of kubectl
//! talk to.
//!
//! # Brief overview
//!
//! - [`query`], [`segments`], [`flag`]: a request's query parameters and
//!   path, decoded as Go's net/url decodes them.
//! - [`Selector`] and [`Filter`]: label and field selectors, checked as the
//!   API server checks them ([`SelectorError`] is the 400's message), and
//!   which objects of one resource a list or watch asks for.
//! - [`respond`], [`error`], [`status`], [`not_found_path`],
//!   [`not_found_object`], [`read_only`]: answers and `Status` errors worded
//!   as the API server words them.
//! - [`event_line`], [`streaming`]: watch streams, one JSON event a line.
//!
//! # Example
//!
//! ```
//! use serde_json::json;
//! use understudy_kube_wire::{Filter, query};
//!
//! let q = query(Some("labelSelector=app%3Dweb&fieldSelector=status.phase%3DRunning"));
//! let pods = 0; // the index of `pods` in the server's own resource table
//! let filter = Filter::new(pods, Some("shop"), &q).expect("a valid selector");
//! let pod = json!({
//!     "metadata": {"namespace": "shop", "labels": {"app": "web"}},
//!     "status": {"phase": "Running"},
//! });
//! assert!(filter.matches(pods, &pod));
//! assert!(understudy_kube_wire::Selector::labels("app in web").is_err());
//! ```
//!
//! # Why a crate of its own
//!
//! kubectl and kube-rs must not be able to tell the replay from the fixture
//! server, so both use one implementation of selectors, errors and watch
//! streams. It depends on no other crate of understudy: the test kit uses
//! it without depending on the replay, and the replay's own tests can then
//! use the test kit (dependencies point one way, as kube-rs's test helpers
//! use kube-core and never the other way).

mod request;
mod response;
mod selector;

pub use request::{decode, flag, query, segments};
pub use response::{
    AGGREGATED, error, event_line, not_found_object, not_found_path, read_only, respond,
    respond_as, status, streaming, version,
};
pub use selector::{Filter, Selector, SelectorError};
