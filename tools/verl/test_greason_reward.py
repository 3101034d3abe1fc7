"""Tests of greason_reward.py against running `greason reward serve` processes (standard library
only). cmd/greason's TestVerlRewardModule starts the servers and runs this file with python3:

  GREASON_REWARD_URL       a rules server (the default tokenizer) with --max-body 256KiB
  GREASON_TEST_JUDGE_DOWN  a cascade server whose General-Verifier endpoint does not listen
  GREASON_TEST_DEAD_URL    a loopback URL where nothing listens
"""

import http.server
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greason_reward as g  # noqa: E402

URL = os.environ["GREASON_REWARD_URL"]
JUDGE_DOWN = os.environ["GREASON_TEST_JUDGE_DOWN"]
DEAD = os.environ["GREASON_TEST_DEAD_URL"]

Q = {"question": "What is 2+2?"}

# (response, gold, reward, acc, pred) worked out by hand from the paper's reward (protocol §2.2)
# with Qwen token counts: "4" is 1 token, "4.0" is 3 ("4", ".", "0"); digits are split one by one.
CASES = [
    ("So 2+2 = \\boxed{4}.", "4", 1.0, 1.0, "4"),
    ("It is \\boxed{4.0}", "4", 0.9, 1.0, "4.0"),
    ("It is \\boxed{5}", "4", 0.0, 0.0, "5"),
    ("I think it is four.", "4", -0.5, 0.0, ""),
    ("Adding.\nFinal Answer: 4\n", "4", 1.0, 1.0, "4"),
    ("\\boxed{4} or \\boxed{5}", "4", 0.0, 0.0, "\\boxed{4}, \\boxed{5}"),
    ("\\boxed{12345}", "12345", 1.0, 1.0, "12345"),
    ("\\boxed{12345.0}", "12345", 0.9, 1.0, "12345.0"),
]


def client_for(tc, **kw):
    """A RewardClient closed when the test ends."""
    c = g.RewardClient(**kw)
    tc.addCleanup(c.close)
    return c


def expect(tc, got, case):
    _, _, reward, acc, pred = case
    tc.assertAlmostEqual(got["score"], reward, places=12, msg=case)
    tc.assertEqual(got["acc"], acc, case)
    tc.assertEqual(got["pred"], pred, case)


class Scoring(unittest.TestCase):
    def test_health(self):
        with g.RewardClient() as c:
            h = c.health()
        self.assertEqual(h["status"], "ok")
        self.assertEqual(h["judge"], "rule")
        self.assertIn("qwen3", h["tokenizer"])
        self.assertEqual(h["max_body_bytes"], 256 << 10)

    def test_single(self):
        for case in CASES:
            got = g.compute_score("general-reasoner", case[0], case[1], Q)
            self.assertEqual(set(got), {"score", "acc", "pred"})
            expect(self, got, case)

    def test_single_extra_kwargs_from_verl(self):
        # verl's reward loop passes extra keyword arguments and extra_info keys of its own
        info = dict(Q, num_turns=None, rollout_reward_scores={}, index=3, split="train")
        got = g.compute_score("general-reasoner", "\\boxed{4}", "4", info, reward_router_address=None)
        self.assertEqual(got["score"], 1.0)

    def test_batched_many_requests_in_order(self):
        n = 3000
        cases = [CASES[i % len(CASES)] for i in range(n)]
        client = g.RewardClient(batch_rows=256, batch_bytes=16 << 10, parallel=3)
        # through the module function, with the shared client's settings replaced
        old = g._client
        g._client = client
        try:
            got = g.compute_score_batch(["general-reasoner"] * n, [c[0] for c in cases], [c[1] for c in cases], [Q] * n)
        finally:
            g._client = old
            client.close()
        self.assertEqual(len(got), n)
        for r, c in zip(got, cases):
            expect(self, r, c)
        # the same rows one by one give the same answers
        for i in (0, 1, 2, 3, 1234, n - 1):
            self.assertEqual(g.compute_score("s", cases[i][0], cases[i][1], Q), got[i])

    def test_batched_default_client(self):
        got = g.compute_score_batch(["a", "b"], ["\\boxed{4}", "no"], ["4", "4"], [Q, Q])
        self.assertEqual([r["score"] for r in got], [1.0, -0.5])

    def test_missing_question(self):
        with self.assertRaisesRegex(ValueError, "extra_info has no 'question'"):
            g.compute_score("s", "\\boxed{4}", "4", {})
        with self.assertRaisesRegex(ValueError, "row 1: extra_info has no 'question'"):
            g.compute_score_batch(["s", "s"], ["a", "b"], ["1", "2"], [Q, {"index": 1}])
        got = g.compute_score("s", "\\boxed{4}", "4", None, allow_missing_question=True)
        self.assertEqual(got["score"], 1.0)


class Errors(unittest.TestCase):
    def test_bad_arguments_are_local_errors(self):
        with self.assertRaisesRegex(TypeError, "ground_truth must be a str"):
            g.compute_score("s", "\\boxed{4}", 4, Q)
        with self.assertRaisesRegex(TypeError, "row 2: solution_str must be a str"):
            g.compute_score_batch(["s"] * 3, ["a", "b", None], ["1"] * 3, [Q] * 3)
        with self.assertRaisesRegex(ValueError, "3 solution_strs, 2 ground_truths"):
            g.compute_score_batch(["s"] * 3, ["a"] * 3, ["1"] * 2, [Q] * 3)

    def test_malformed_row_is_400_naming_row_and_field(self):
        client = client_for(self, batch_rows=2, parallel=1)
        rows = [{"question": "q", "gold": "1", "response": "x"}] * 5
        rows = rows[:3] + [{"question": "q", "gold": "1", "answer": "x"}] + rows[3:]
        with self.assertRaises(g.RewardServerError) as cm:
            client.score_rows(rows)
        e = cm.exception
        self.assertEqual(e.status, 400)
        self.assertEqual(e.type, "invalid_row")
        self.assertEqual(e.row, 3)  # the second request's row 1 is the caller's row 3
        self.assertEqual(e.field, "answer")
        self.assertIn("unknown field", str(e))

    def test_oversized_request_is_413(self):
        client = client_for(self, batch_bytes=64 << 20)
        row = {"question": "q", "gold": "1", "response": "x" * (300 << 10) + "\\boxed{1}"}
        t0 = time.time()
        with self.assertRaises(g.RewardServerError) as cm:
            client.score_rows([row])
        self.assertEqual(cm.exception.status, 413)
        self.assertEqual(cm.exception.type, "body_too_large")
        self.assertIn("GREASON_REWARD_BATCH_BYTES", str(cm.exception))
        self.assertLess(time.time() - t0, 5)  # not retried
        # the module's own batching keeps requests under the limit
        ok = client_for(self, batch_bytes=200 << 10).score_rows([{"question": "q", "gold": "1", "response": "y" * (60 << 10) + "\\boxed{1}"}] * 8)
        self.assertEqual([r["reward"] for r in ok], [1] * 8)

    def test_judge_endpoint_down_is_5xx_naming_it(self):
        client = client_for(self, url=JUDGE_DOWN)
        # the rules pass this one: no model call, a reward
        self.assertEqual(client.score_rows([{"question": "q", "gold": "4", "response": "\\boxed{4}"}])[0]["reward"], 1)
        t0 = time.time()
        with self.assertRaises(g.RewardServerError) as cm:
            client.score_rows([{"question": "q", "gold": "4", "response": "\\boxed{4}"},
                               {"question": "q", "gold": "4", "response": "\\boxed{5}"}])
        e = cm.exception
        self.assertEqual(e.status, 502)
        self.assertEqual(e.type, "judge_failed")
        self.assertEqual(e.judge, "cascade")
        self.assertEqual(e.row, 1)
        self.assertIn(os.environ["GREASON_TEST_VERIFIER_URL"], e.endpoint)
        self.assertIn(os.environ["GREASON_TEST_VERIFIER_URL"], str(e))
        self.assertLess(time.time() - t0, 10)  # the module does not retry a judge failure

    def test_server_down_is_connection_error(self):
        client = client_for(self, url=DEAD, retries=1, backoff=0.05)
        with self.assertRaisesRegex(g.RewardConnectionError, "is `greason reward serve` running"):
            client.score_rows([{"question": "q", "gold": "1", "response": "1"}])

    def test_timeout_is_raised_not_retried(self):
        # a socket that accepts connections (the kernel's backlog) and never answers
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        try:
            client = client_for(self, url="http://127.0.0.1:%d" % s.getsockname()[1], timeout=0.3, retries=3)
            t0 = time.time()
            with self.assertRaises(g.RewardServerError) as cm:
                client.score_rows([{"question": "q", "gold": "1", "response": "1"}])
            self.assertEqual(cm.exception.type, "client_timeout")
            self.assertLess(time.time() - t0, 2)
        finally:
            s.close()


class Stub(http.server.BaseHTTPRequestHandler):
    """Answers with the statuses in the class's plan, one per request, counting them."""
    plan = []
    calls = 0

    def do_POST(self):
        n = int(self.headers["Content-Length"])
        rows = json.loads(self.rfile.read(n))["rows"]
        status = Stub.plan[min(Stub.calls, len(Stub.plan) - 1)]
        Stub.calls += 1
        if status == 200:
            body = {"results": [{"reward": 1, "correct": True, "extracted": "1", "layer": "stub", "reason": ""}] * len(rows)}
        else:
            body = {"error": {"type": "x", "message": "stub says %d" % status}}
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


class Retries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        threading.Thread(target=cls.srv.serve_forever, daemon=True).start()
        cls.url = "http://127.0.0.1:%d" % cls.srv.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()

    def run_plan(self, plan, retries=3):
        Stub.plan, Stub.calls = plan, 0
        with g.RewardClient(url=self.url, retries=retries, backoff=0.05) as c:
            return c.score_rows([{"question": "q", "gold": "1", "response": "1"}])

    def test_503_is_retried(self):
        self.assertEqual(self.run_plan([503, 503, 200])[0]["reward"], 1)
        self.assertEqual(Stub.calls, 3)

    def test_503_gives_up_after_the_retries(self):
        with self.assertRaises(g.RewardServerError) as cm:
            self.run_plan([503], retries=1)
        self.assertEqual((cm.exception.status, Stub.calls), (503, 2))

    def test_502_and_400_are_not_retried(self):
        for status in (502, 400, 500):
            with self.assertRaises(g.RewardServerError) as cm:
                self.run_plan([status, 200])
            self.assertEqual((cm.exception.status, Stub.calls), (status, 1))

    def test_short_answer_is_an_error(self):
        Stub.plan, Stub.calls = [200], 0
        c = client_for(self, url=self.url)
        # the stub answers one result per row it got: sending two rows but checking against three
        # is impossible through score_rows, so break the stub's answer instead
        orig = Stub.do_POST

        def short(handler):
            n = int(handler.headers["Content-Length"])
            handler.rfile.read(n)
            raw = b'{"results": []}'
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(raw)))
            handler.end_headers()
            handler.wfile.write(raw)
        Stub.do_POST = short
        try:
            with self.assertRaisesRegex(g.RewardServerError, "0 results for 1 rows"):
                c.score_rows([{"question": "q", "gold": "1", "response": "1"}])
        finally:
            Stub.do_POST = orig


def tearDownModule():
    if g._client is not None:
        g._client.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
