//! The engine's binding properties (ENGINE.md A, P1–P11), its contract gates and its
//! wire format. Pure tests: no server, no database.

mod contract_gates;
mod properties;
mod support;
mod wire;
