//! Two `coinswarm up` processes on one PostgreSQL database: each account's session runs in
//! exactly one of them, the other refuses its orders with a clear 503, and when one process
//! is killed the other takes its accounts over (the swarm's too) within seconds, losing and
//! duplicating no order.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::server::{Client, scratch_dir};
use support::store::Store;

fn limit_buy(client_order_id: &str) -> String {
    serde_json::json!({
        "client_order_id": client_order_id, "product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": "100"}}
    })
    .to_string()
}

/// Places `client_order_id` on `client`: (status, order id when acknowledged, body).
fn place(client: &Client, key: &str, client_order_id: &str) -> (u16, Option<String>, String) {
    let (status, body) = client.request("POST", "/api/orders", Some(key), Some(limit_buy(client_order_id).as_bytes()));
    let order_id = (status == 201).then(|| {
        let order: Value = serde_json::from_str(&body).unwrap();
        order["order"]["order_id"].as_str().unwrap().to_string()
    });
    (status, order_id, body)
}

#[test]
fn each_account_is_served_by_one_process_and_a_killed_processs_accounts_pass_to_the_other_within_5_s() {
    let store = Store::postgres("shared");
    // Rate limits and the guard (its daily trade cap) lifted: the stream sends orders back to back.
    let unlimited = [
        ("COINSWARM_REQUESTS_PER_SECOND", "100000"),
        ("COINSWARM_BURST", "100000"),
        ("COINSWARM_GUARD_ENABLED", "false"),
    ];
    let first = store.start(&unlimited);
    let admin = first.admin_key.clone().expect("the first process creates the admin key");
    let second_dir = scratch_dir("shared-second");
    let second = store.start_in(&second_dir, &unlimited);
    assert_eq!(second.admin_key, None, "the second process finds the database's admin key there");
    let (alice, bob) = (store.create_key("alice", "trade"), store.create_key("bob", "trade"));
    let (to_first, to_second) = (first.client(), second.client());

    // The first request for an account decides its owner; the other process refuses it.
    let (status, first_order, body) = place(&to_first, &alice, "a-0");
    assert_eq!(status, 201, "{body}");
    let (status, _, body) = place(&to_second, &bob, "b-0");
    assert_eq!(status, 201, "{body}");
    let (status, _, body) = place(&to_second, &alice, "a-refused");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("served by another coinswarm process"), "{body}");
    assert_eq!(place(&to_first, &bob, "b-refused").0, 503);
    // The swarm's account runs in the first process (it started first).
    assert_eq!(to_first.request("GET", "/api/accounts/swarm", Some(&admin), None).0, 200);
    assert_eq!(to_second.request("GET", "/api/accounts/swarm", Some(&admin), None).0, 503);

    // Alice's orders stream to the first process, which is SIGKILLed mid-stream (with a
    // request in flight, as a sender back to back nearly always has): the client goes on
    // with the second, sending again the order it had no answer for (its client order id
    // makes that safe: placed once, whichever process placed it).
    let streamer = {
        let (to_first, alice) = (Client { addr: to_first.addr }, alice.clone());
        std::thread::spawn(move || {
            let mut acknowledged = Vec::new();
            for n in 1.. {
                let id = format!("a-{n}");
                match place(&to_first, &alice, &id) {
                    (201, Some(order_id), _) => acknowledged.push((id, order_id)),
                    // No answer: the process is gone; this order's fate is unknown.
                    (0, _, _) => return (acknowledged, n),
                    (status, _, body) => panic!("{status} {body}"),
                }
            }
            unreachable!()
        })
    };
    std::thread::sleep(Duration::from_millis(600));
    first.kill();
    let killed = Instant::now();
    let (streamed, unanswered) = streamer.join().unwrap();
    let mut acknowledged = vec![("a-0".to_string(), first_order.unwrap())];
    acknowledged.extend(streamed);
    let mut n = unanswered;
    let mut handed_over = None;
    while killed.elapsed() < Duration::from_secs(10) {
        let id = format!("a-{n}");
        match place(&to_second, &alice, &id) {
            (201, Some(order_id), _) => {
                handed_over.get_or_insert(killed.elapsed());
                acknowledged.push((id, order_id));
                n += 1;
                if acknowledged.len() > 40 && handed_over.is_some() {
                    break;
                }
            }
            (503, _, body) => assert!(body.contains("served by another"), "{body}"),
            (status, _, body) => panic!("{status} {body}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let handed_over = handed_over.expect("the second process took alice over");
    eprintln!("alice handed over {handed_over:?} after the kill; {} orders acknowledged", acknowledged.len());
    assert!(handed_over <= Duration::from_secs(5), "alice took {handed_over:?} to pass to the second process");

    // Every acknowledged order is there exactly once, with the id it was acknowledged with.
    let (status, body) = to_second.request("GET", "/api/orders?limit=1000&status=open", Some(&alice), None);
    assert_eq!(status, 200, "{body}");
    let open: Value = serde_json::from_str(&body).unwrap();
    let open = open["orders"].as_array().unwrap();
    for (client_order_id, order_id) in &acknowledged {
        let matching: Vec<_> = open.iter().filter(|o| o["client_order_id"] == client_order_id.as_str()).collect();
        assert_eq!(matching.len(), 1, "{client_order_id} is there exactly once");
        assert_eq!(matching[0]["order_id"], order_id.as_str());
    }
    assert_eq!(open.len(), acknowledged.len(), "no order beyond the acknowledged ones");

    // The swarm's account follows within the takeover interval (1 s) and the same bound.
    let deadline = killed + Duration::from_secs(5);
    loop {
        let (status, body) = to_second.request("GET", "/api/accounts/swarm", Some(&admin), None);
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the swarm's account never passed to the second process: {status} {body}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Bob stayed where he was.
    assert_eq!(place(&to_second, &bob, "b-1").0, 201);
    drop(second);
    let _ = std::fs::remove_dir_all(second_dir);
    store.remove();
}
