//! dondoc's test support: real protocol peers on loopback (a real SMTP server process,
//! aiosmtpd; HTTP servers that speak the Telegram Bot API and the Zalo OA API wire formats,
//! record what they receive and can be told to fail; an HTTP sink), and the helpers every
//! test writes dates and instants with ([`time`]).

pub mod esdb;
pub mod golden;
pub mod postgres;
pub mod skip;
pub mod smtp;
pub mod telegram;
pub mod time;
pub mod webhook;
pub mod zalo;
