//! Real protocol peers on loopback for dondoc's tests: a real SMTP server process
//! (aiosmtpd), and HTTP servers that speak the Telegram Bot API and the Zalo OA API wire
//! formats, record what they receive and can be told to fail.

pub mod smtp;
pub mod telegram;
pub mod webhook;
pub mod zalo;
