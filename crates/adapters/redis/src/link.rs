//! The one pub/sub connection of this process: subscribes to the fabric's
//! channels, hands every payload to a callback (the in-process fan-out), and
//! reconnects by itself, with exponential backoff, whenever Redis goes away
//! or stops answering pings. Its up/down state is watched by the publisher
//! (to fail fast while Redis is down) and by presence (to re-register this
//! instance's users after Redis comes back empty).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::PubSub;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::RedisConfig;

/// What the link hands over: the channel name and the raw payload.
pub(crate) type OnMessage = Arc<dyn Fn(&str, &[u8]) + Send + Sync>;

/// The subscriber task's state, readable from anywhere.
#[derive(Clone)]
pub(crate) struct LinkState(watch::Receiver<bool>);

impl LinkState {
    /// Whether the subscription is established right now.
    pub(crate) fn is_up(&self) -> bool {
        *self.0.borrow()
    }

    /// A receiver that changes whenever the link goes up or down.
    pub(crate) fn watch(&self) -> watch::Receiver<bool> {
        self.0.clone()
    }
}

/// Starts the subscriber task; it runs until the handle is aborted.
pub(crate) fn spawn(
    client: redis::Client,
    channels: Vec<String>,
    config: &RedisConfig,
    on_message: OnMessage,
) -> (LinkState, JoinHandle<()>) {
    let (state, receiver) = watch::channel(false);
    let settings = Settings {
        connect_timeout: config.connect_timeout,
        ping_every: config.heartbeat.min(Duration::from_secs(15)),
        ping_timeout: config.command_timeout,
        min_backoff: config.min_backoff,
        max_backoff: config.max_backoff,
    };
    let task = tokio::spawn(run(client, channels, settings, on_message, state));
    (LinkState(receiver), task)
}

#[derive(Clone, Copy)]
struct Settings {
    connect_timeout: Duration,
    ping_every: Duration,
    ping_timeout: Duration,
    min_backoff: Duration,
    max_backoff: Duration,
}

async fn run(
    client: redis::Client,
    channels: Vec<String>,
    settings: Settings,
    on_message: OnMessage,
    state: watch::Sender<bool>,
) {
    let mut backoff = settings.min_backoff;
    // Log an outage once, not once per reconnection attempt.
    let mut outage_logged = false;
    loop {
        match connect(&client, &channels, settings).await {
            Ok(pubsub) => {
                tracing::info!("redis pub/sub: subscribed");
                outage_logged = false;
                backoff = settings.min_backoff;
                state.send_replace(true);
                let reason = pump(pubsub, settings, &on_message).await;
                state.send_replace(false);
                tracing::warn!(reason, "redis pub/sub: link lost; reconnecting");
            }
            Err(error) => {
                if !outage_logged {
                    tracing::warn!(%error, "redis pub/sub: cannot subscribe; retrying in the background");
                    outage_logged = true;
                } else {
                    tracing::debug!(%error, "redis pub/sub: reconnection failed");
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(settings.max_backoff);
    }
}

async fn connect(
    client: &redis::Client,
    channels: &[String],
    settings: Settings,
) -> Result<PubSub, String> {
    let attempt = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channels).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    match tokio::time::timeout(settings.connect_timeout * 2, attempt).await {
        Ok(Ok(pubsub)) => Ok(pubsub),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

/// Delivers messages until the connection ends or stops answering pings
/// (a half-open TCP connection would otherwise look healthy forever).
async fn pump(pubsub: PubSub, settings: Settings, on_message: &OnMessage) -> &'static str {
    let (mut sink, mut stream) = pubsub.split();
    let mut pings = tokio::time::interval(settings.ping_every);
    pings.tick().await;
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(message) => on_message(message.get_channel_name(), message.get_payload_bytes()),
                None => return "connection closed",
            },
            _ = pings.tick() => {
                let ping = sink.ping::<redis::Value>();
                match tokio::time::timeout(settings.ping_timeout, ping).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) => return "ping failed",
                    Err(_) => return "ping timed out",
                }
            }
        }
    }
}
