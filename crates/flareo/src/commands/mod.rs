//! One module per subcommand.

pub mod lint;
