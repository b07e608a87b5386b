//! Test 4: two processes writing at once lose nothing and never show the user
//! "database is locked".

mod common;

use common::Kh;

const OPS_PER_WORKER: usize = 500;

#[test]
fn two_writers_doing_500_set_or_rotate_each_lose_nothing() {
    let kh = Kh::new();
    let worker = |id: usize| {
        let kh = &kh;
        move || {
            let mut stderr = String::new();
            let half = OPS_PER_WORKER / 2;
            for i in 0..half {
                let out = kh.run(&["set", &format!("W{id}_{i}")], Some(format!("w{id}-{i}-v1").as_bytes()));
                stderr.push_str(&String::from_utf8_lossy(&out.stderr));
                assert!(out.status.success(), "set W{id}_{i}: {stderr}");
            }
            for i in 0..half {
                let out =
                    kh.run(&["rotate", &format!("W{id}_{i}")], Some(format!("w{id}-{i}-v2").as_bytes()));
                stderr.push_str(&String::from_utf8_lossy(&out.stderr));
                assert!(out.status.success(), "rotate W{id}_{i}: {stderr}");
            }
            stderr
        }
    };
    let stderr = std::thread::scope(|scope| {
        let a = scope.spawn(worker(0));
        let b = scope.spawn(worker(1));
        a.join().unwrap() + &b.join().unwrap()
    });
    let lowered = stderr.to_lowercase();
    assert!(!lowered.contains("locked") && !lowered.contains("busy"), "{stderr}");

    let exported = kh.ok(&["export", "--format", "json", "--reveal"], None);
    let values: std::collections::BTreeMap<String, String> = serde_json::from_str(&exported).unwrap();
    assert_eq!(values.len(), OPS_PER_WORKER);
    for id in 0..2 {
        for i in 0..OPS_PER_WORKER / 2 {
            assert_eq!(values[&format!("W{id}_{i}")], format!("w{id}-{i}-v2"));
        }
    }
    let history = kh.ok(&["--json", "history", "W1_17"], None);
    assert_eq!(serde_json::from_str::<Vec<serde_json::Value>>(&history).unwrap().len(), 2);
}
