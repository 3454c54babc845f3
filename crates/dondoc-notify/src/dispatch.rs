//! The dispatcher: sends many messages safely. Per-channel queues (a concurrency limit
//! each, e.g. the SMTP pool size), rate limits (Telegram 30 messages/s overall and 1/s
//! per chat; Zalo requests/s), retries with exponential backoff and full jitter, the
//! provider's `retry_after` honoured, and fallback to the recipient's next channel after
//! `max_attempts` failures on one. Every outcome goes to a [`Recorder`] as soon as it is
//! known, before the next message of the same queue slot is taken: a crash can lose
//! only the records of the messages in flight, so a message is sent at most twice.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dondoc_core::event::Channel;
use futures::StreamExt;
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::channel::{Receipt, SendError, Sender};
use crate::message::Message;

/// Limits and retry policy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    /// Attempts on one channel before falling back to the next (K).
    pub max_attempts: u32,
    /// First retry delay; doubled per attempt, capped by `backoff_max_ms`, full jitter.
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// How many times a provider's "slow down" (429 retry_after) is honoured per message.
    pub max_rate_limited: u32,
    /// Messages being sent at once on each channel (email: the SMTP pool size).
    pub email_concurrency: usize,
    pub telegram_concurrency: usize,
    pub zalo_concurrency: usize,
    /// Rate limits in messages per second; 0 lifts the limit.
    pub telegram_per_second: u32,
    pub telegram_per_chat_per_second: u32,
    pub zalo_per_second: u32,
    pub email_per_second: u32,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            max_attempts: 3,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 60_000,
            max_rate_limited: 5,
            email_concurrency: 4,
            telegram_concurrency: 30,
            zalo_concurrency: 10,
            telegram_per_second: 30,
            telegram_per_chat_per_second: 1,
            zalo_per_second: 20,
            email_per_second: 0,
        }
    }
}

impl DispatchConfig {
    /// No rate limits (benchmarks, simulations).
    pub fn unlimited(mut self) -> Self {
        self.telegram_per_second = 0;
        self.telegram_per_chat_per_second = 0;
        self.zalo_per_second = 0;
        self.email_per_second = 0;
        self
    }

    /// The most messages that can be sent and not yet recorded at one moment: each
    /// channel's queue keeps twice its concurrency in flight, and a message is recorded
    /// before its queue slot takes the next. A crash can lose the records of at most these
    /// (each then sent once more: the at-most-one-resend bound).
    pub fn in_flight_bound(&self) -> usize {
        [Channel::Email, Channel::Telegram, Channel::Zalo].into_iter().map(|c| self.concurrency(c) * 2).sum()
    }

    fn concurrency(&self, channel: Channel) -> usize {
        match channel {
            Channel::Email => self.email_concurrency,
            Channel::Telegram => self.telegram_concurrency,
            Channel::Zalo => self.zalo_concurrency,
        }
        .max(1)
    }

    fn per_second(&self, channel: Channel) -> u32 {
        match channel {
            Channel::Email => self.email_per_second,
            Channel::Telegram => self.telegram_per_second,
            Channel::Zalo => self.zalo_per_second,
        }
    }
}

/// One recipient's message, rendered for each of their channels in preference order.
#[derive(Debug, Clone)]
pub struct Job {
    pub messages: Vec<Message>,
}

/// What happened to one message on one channel.
#[derive(Debug, Clone)]
pub enum Outcome {
    Delivered {
        message: Message,
        receipt: Receipt,
        at: DateTime<Utc>,
    },
    /// The channel gave up on it after `attempts` tries; `fallback` says whether another
    /// channel is tried next.
    Failed {
        message: Message,
        attempts: u32,
        error: SendError,
        fallback: bool,
        at: DateTime<Utc>,
    },
}

/// Where outcomes go (the daemon appends ReminderDelivered / ReminderFailed events).
pub trait Recorder: Send + Sync {
    fn record<'a>(&'a self, outcome: &'a Outcome) -> BoxFuture<'a, ()>;
}

/// Why a channel cannot be used, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelFault {
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// A channel and its fault, if it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelHealth {
    pub channel: Channel,
    pub fault: Option<ChannelFault>,
}

/// Totals of one dispatch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Jobs delivered on some channel.
    pub delivered: usize,
    /// Jobs delivered on a channel other than their first.
    pub fell_back: usize,
    /// Jobs that no channel delivered.
    pub undelivered: usize,
    /// Jobs not sent because the daemon is stopping.
    pub skipped: usize,
    /// Failed attempts in all.
    pub failed_attempts: usize,
    /// 429 / retry_after waits honoured.
    pub rate_limited: usize,
    /// Messages a faulty channel could not take (nothing held against their recipients).
    pub channel_faults: usize,
}

use crate::Clock;

struct Lane {
    sender: Arc<dyn Sender>,
    slots: Semaphore,
    overall: Option<DefaultDirectRateLimiter>,
    per_address: Option<PerAddress>,
    /// Set by a channel fault, cleared by the next successful send.
    fault: std::sync::Mutex<Option<ChannelFault>>,
    /// Whether a faulty lane was already tried in the current dispatch: one message per
    /// dispatch probes it, the others go to their next channel at once.
    probed: std::sync::atomic::AtomicBool,
}

impl Lane {
    fn fault(&self) -> Option<ChannelFault> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether a message may try this lane now: a healthy lane, or the first message of a
    /// dispatch to probe a faulty one.
    fn open_for_message(&self) -> bool {
        self.fault().is_none() || !self.probed.swap(true, std::sync::atomic::Ordering::SeqCst)
    }

    fn set_fault(&self, channel: Channel, reason: String, at: DateTime<Utc>) {
        let mut fault = self.fault.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *fault {
            Some(f) => f.reason = reason,
            None => {
                tracing::error!(channel = channel.as_str(), %reason, "kênh gửi lỗi: tạm ngừng dùng kênh này, nhắc việc chờ gửi lại");
                *fault = Some(ChannelFault { reason, since: at });
            }
        }
    }

    fn clear_fault(&self, channel: Channel) {
        if self.fault.lock().unwrap_or_else(|e| e.into_inner()).take().is_some() {
            tracing::info!(channel = channel.as_str(), "kênh gửi hoạt động trở lại");
        }
    }
}

/// At most one message per `period` to each address, measured from the end of the
/// previous send (so the provider never sees two arrivals closer than `period`, however
/// long a send waited for the overall limit): sends to one address are serialised.
struct PerAddress {
    period: Duration,
    last: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>>>>,
}

impl PerAddress {
    fn new(per_second: u32) -> Option<PerAddress> {
        (per_second > 0).then(|| PerAddress {
            period: Duration::from_secs_f64(1.1 / f64::from(per_second)),
            last: std::sync::Mutex::new(HashMap::new()),
        })
    }

    fn slot(&self, address: &str) -> Arc<tokio::sync::Mutex<Option<tokio::time::Instant>>> {
        self.last.lock().expect("rate lock").entry(address.to_string()).or_default().clone()
    }
}

/// Sends jobs through the channels' lanes.
pub struct Dispatcher {
    lanes: HashMap<Channel, Lane>,
    config: DispatchConfig,
    clock: Clock,
    stopping: std::sync::atomic::AtomicBool,
    stop: tokio::sync::Notify,
}

/// A limit of `per_second` messages: evenly spaced (no burst, so no sliding second ever
/// holds more than the limit) with a 10% margin for network jitter.
fn quota(per_second: u32) -> Option<Quota> {
    NonZeroU32::new(per_second)?;
    Quota::with_period(Duration::from_secs_f64(1.1 / f64::from(per_second)))
}

enum JobResult {
    Delivered { fell_back: bool },
    Undelivered,
    Skipped,
}

/// What one job went through, besides its result.
#[derive(Default)]
struct JobTally {
    failed_attempts: usize,
    rate_limited: usize,
    channel_faults: usize,
}

/// Why a lane gave up on a message.
enum Stop {
    Failed(SendError, u32),
    /// The channel itself is at fault.
    Fault(SendError),
    Shutdown,
}

impl Dispatcher {
    /// A dispatcher over these senders (one per channel; a later one replaces an earlier).
    pub fn new(senders: Vec<Arc<dyn Sender>>, config: DispatchConfig, clock: Clock) -> Dispatcher {
        let lanes = senders
            .into_iter()
            .map(|sender| {
                let channel = sender.channel();
                let per_address = match channel {
                    Channel::Telegram => PerAddress::new(config.telegram_per_chat_per_second),
                    _ => None,
                };
                let lane = Lane {
                    sender,
                    slots: Semaphore::new(config.concurrency(channel)),
                    overall: quota(config.per_second(channel)).map(RateLimiter::direct),
                    per_address,
                    fault: std::sync::Mutex::new(None),
                    probed: false.into(),
                };
                (channel, lane)
            })
            .collect();
        Dispatcher { lanes, config, clock, stopping: false.into(), stop: tokio::sync::Notify::new() }
    }

    /// Stops taking jobs: sends in flight finish and are recorded; jobs not started and
    /// retries not yet due are dropped unrecorded (the next sweep plans them again).
    pub fn shutdown(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        self.stop.notify_waiters();
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sleeps, or returns false at once when the dispatcher stops.
    async fn pause(&self, d: Duration) -> bool {
        if self.is_stopping() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_stopping(),
            _ = self.stop.notified() => false,
        }
    }

    /// The longest one attempt on any channel may take ([`Sender::attempt_timeout`]): how
    /// long a stopping daemon must wait for sends in flight.
    pub fn longest_attempt(&self) -> Duration {
        self.lanes.values().map(|l| l.sender.attempt_timeout()).max().unwrap_or_default()
    }

    /// The channels this dispatcher can send on.
    pub fn channels(&self) -> Vec<Channel> {
        self.lanes.keys().copied().collect()
    }

    /// Each channel and its fault, if any, in a stable order.
    pub fn health(&self) -> Vec<ChannelHealth> {
        let mut out: Vec<ChannelHealth> =
            self.lanes.iter().map(|(channel, lane)| ChannelHealth { channel: *channel, fault: lane.fault() }).collect();
        out.sort_by_key(|h| h.channel);
        out
    }

    /// Sends every job (at most `parallel` at once), recording each outcome.
    pub async fn run(&self, jobs: Vec<Job>, recorder: &dyn Recorder) -> Report {
        for lane in self.lanes.values() {
            lane.probed.store(false, std::sync::atomic::Ordering::SeqCst);
        }
        // One queue per first channel, each feeding its lane: a slow channel (SMTP) never
        // holds back a fast one (Telegram). A job that falls back takes the next lane's slots.
        let mut queues: HashMap<Option<Channel>, Vec<Job>> = HashMap::new();
        for job in jobs {
            let first = job.messages.iter().map(|m| m.channel).find(|c| self.lanes.contains_key(c));
            queues.entry(first).or_default().push(job);
        }
        let runs = queues.into_iter().map(|(channel, jobs)| {
            // Enough jobs in flight to keep every slot busy while some wait for their chat.
            let parallel = channel.map_or(1, |c| self.config.concurrency(c) * 2);
            futures::stream::iter(jobs)
                .map(|job| self.job(job, recorder))
                .buffer_unordered(parallel)
                .collect::<Vec<_>>()
        });
        let results: Vec<(JobResult, JobTally)> = futures::future::join_all(runs).await.into_iter().flatten().collect();
        let mut report = Report::default();
        for (result, tally) in results {
            report.failed_attempts += tally.failed_attempts;
            report.rate_limited += tally.rate_limited;
            report.channel_faults += tally.channel_faults;
            match result {
                JobResult::Delivered { fell_back } => {
                    report.delivered += 1;
                    report.fell_back += usize::from(fell_back);
                }
                JobResult::Undelivered => report.undelivered += 1,
                JobResult::Skipped => report.skipped += 1,
            }
        }
        report
    }

    /// One job: each channel in turn until one delivers. A faulty channel is skipped
    /// (but for the one message per dispatch that probes it).
    async fn job(&self, job: Job, recorder: &dyn Recorder) -> (JobResult, JobTally) {
        let mut tally = JobTally::default();
        let usable: Vec<&Message> = job.messages.iter().filter(|m| self.lanes.contains_key(&m.channel)).collect();
        for (i, message) in usable.iter().enumerate() {
            if self.is_stopping() {
                return (JobResult::Skipped, tally);
            }
            let lane = &self.lanes[&message.channel];
            if !lane.open_for_message() {
                tally.channel_faults += 1;
                continue;
            }
            let (result, waits) = self.attempts(lane, message).await;
            tally.rate_limited += waits;
            let fallback = i + 1 < usable.len();
            match result {
                Ok(receipt) => {
                    lane.clear_fault(message.channel);
                    let outcome = Outcome::Delivered { message: (*message).clone(), receipt, at: (self.clock)() };
                    recorder.record(&outcome).await;
                    return (JobResult::Delivered { fell_back: i > 0 }, tally);
                }
                Err(Stop::Shutdown) => return (JobResult::Skipped, tally),
                Err(Stop::Fault(error)) => {
                    tally.channel_faults += 1;
                    let at = (self.clock)();
                    lane.set_fault(message.channel, error.to_string(), at);
                    let outcome = Outcome::Failed { message: (*message).clone(), attempts: 1, error, fallback, at };
                    recorder.record(&outcome).await;
                }
                Err(Stop::Failed(error, attempts)) => {
                    tally.failed_attempts += attempts as usize;
                    let outcome =
                        Outcome::Failed { message: (*message).clone(), attempts, error, fallback, at: (self.clock)() };
                    recorder.record(&outcome).await;
                }
            }
        }
        (JobResult::Undelivered, tally)
    }

    /// Up to `max_attempts` tries on one lane. Returns the result and the rate-limit waits.
    async fn attempts(&self, lane: &Lane, message: &Message) -> (Result<Receipt, Stop>, usize) {
        let mut failures = 0u32;
        let mut waits = 0usize;
        loop {
            let result = {
                // The chat's turn first (spacing is measured from the end of its previous
                // send), then a slot: a message waiting for its chat holds no slot.
                let chat = lane.per_address.as_ref().map(|p| (p.period, p.slot(&message.address)));
                let mut last = match &chat {
                    Some((period, slot)) => {
                        let guard = slot.clone().lock_owned().await;
                        if let Some(at) = *guard {
                            tokio::time::sleep_until(at + *period).await;
                        }
                        Some(guard)
                    }
                    None => None,
                };
                let _slot = lane.slots.acquire().await.expect("never closed");
                if let Some(limiter) = &lane.overall {
                    limiter.until_ready().await;
                }
                let bound = lane.sender.attempt_timeout();
                let result = match tokio::time::timeout(bound, lane.sender.send(message)).await {
                    Ok(result) => result,
                    Err(_) => Err(SendError::Transient(format!("quá {} giây không có kết quả", bound.as_secs()))),
                };
                if let Some(last) = last.as_mut() {
                    **last = Some(tokio::time::Instant::now());
                }
                result
            };
            let error = match result {
                Ok(receipt) => return (Ok(receipt), waits),
                Err(e) => e,
            };
            tracing::warn!(channel = message.channel.as_str(), recipient = %message.recipient, error = %error, "gửi không thành công");
            match &error {
                SendError::RateLimited { retry_after, .. } if (waits as u32) < self.config.max_rate_limited => {
                    waits += 1;
                    if !self.pause(*retry_after + jitter(Duration::from_millis(50))).await {
                        return (Err(Stop::Shutdown), waits);
                    }
                    continue;
                }
                SendError::Permanent(_) => return (Err(Stop::Failed(error, failures + 1)), waits),
                SendError::Channel(_) => return (Err(Stop::Fault(error)), waits),
                _ => {}
            }
            failures += 1;
            if failures >= self.config.max_attempts.max(1) {
                return (Err(Stop::Failed(error, failures)), waits);
            }
            if !self.pause(self.backoff(failures)).await {
                return (Err(Stop::Shutdown), waits);
            }
        }
    }

    /// Exponential backoff with full jitter after the `n`th failure.
    fn backoff(&self, n: u32) -> Duration {
        let base = self.config.backoff_initial_ms.saturating_mul(1u64 << (n - 1).min(20));
        jitter(Duration::from_millis(base.min(self.config.backoff_max_ms)))
    }
}

/// A uniformly random duration in [d/2, d].
fn jitter(d: Duration) -> Duration {
    let ms = d.as_millis() as u64;
    if ms < 2 {
        return d;
    }
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}
