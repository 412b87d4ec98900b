//! Configuration (PROTOCOL 2): placeholder until the config module lands.
