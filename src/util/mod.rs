//! Small helpers every layer may use: threads ([`parallel`]), fault
//! injection for the tests ([`fault`]) and "did you mean" hints
//! ([`suggest`]).

#[doc(hidden)]
pub mod fault;
pub mod parallel;
pub mod suggest;
