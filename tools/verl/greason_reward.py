"""greason's GRPO reward for verl, computed by a running `greason reward serve`.

The reward is General-Reasoner's (arXiv 2505.14652, greason's verify.RewardFor): the answer
extracted from the response (last \\boxed{}, else the last "Final Answer:"-style line), judged
equivalent to the gold answer by the server's judge (rules, General-Verifier, a cascade, ...),
then -0.5 when no answer was extracted, 0 when the judge fails it, and
1 - 0.05 * min(10, |tokens(answer) - tokens(gold)|) when it passes.

verl calls one of two functions (Python standard library only, no dependency):

  compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)
      one response: verl's default (naive) reward manager and its reward loop.
      custom_reward_function.path=tools/verl/greason_reward.py
      custom_reward_function.name=compute_score

  compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kwargs)
      a whole step's responses in few requests: verl's batch reward manager.
      reward_model.reward_manager=batch custom_reward_function.name=compute_score_batch
      (verl releases with the reward loop on by default also need reward_model.use_reward_loop=False)

Both return, per response, a dict: {"score": reward, "acc": 1.0 if the judge passed it else 0.0,
"pred": the extracted answer ("" when none)}; verl takes "score" as the reward and logs the rest
("pred" also feeds its majority-vote validation metrics).

The question the judge sees is extra_info["question"] (greason's `data export` writes the raw
question there, as the paper's reward worker read it). A row without one is an error unless
allow_missing_question=True is passed (custom_reward_function.reward_kwargs) or
GREASON_REWARD_ALLOW_NO_QUESTION=1 is set; the judge then gets no question.

Configuration, from the environment of the processes that score (Ray workers inherit it):
  GREASON_REWARD_URL          the server (default http://127.0.0.1:8020)
  GREASON_REWARD_TIMEOUT      seconds one request may take (default 600)
  GREASON_REWARD_RETRIES      retries of a request that never reached the server or got 503 (default 3)
  GREASON_REWARD_BATCH_ROWS   most rows per request of compute_score_batch (default 1024)
  GREASON_REWARD_BATCH_BYTES  most bytes per request body (default 32 MiB; the server's --max-body
                              must be at least this: 256 MiB by default)
  GREASON_REWARD_PARALLEL     requests of one batched call in flight at once (default 4)

Errors are exceptions, never a reward of 0: RewardServerError carries the HTTP status and the
server's error (the malformed row and field, the judge and endpoint that failed, ...);
RewardConnectionError is a server that could not be reached. Retries happen only where they are
safe and can help: a request is retried when it never got an answer (connection refused or
reset, a kept-alive connection the server had closed) or got 503 (the server is shutting down);
scoring is a pure function of the rows, so a resent request cannot count twice. A 4xx, a judge
failure (502; the server already retried its judge) or a timeout is raised at once.
"""

import http.client
import json
import os
import socket
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "compute_score",
    "compute_score_batch",
    "RewardClient",
    "RewardServerError",
    "RewardConnectionError",
]

DEFAULT_URL = "http://127.0.0.1:8020"


class RewardServerError(RuntimeError):
    """The server answered an error: status is the HTTP status, error the server's error object
    ({"type", "message", "row", "field", "judge", "endpoint", ...})."""

    def __init__(self, url, status, error, offset=0):
        self.url = url
        self.status = status
        self.error = error if isinstance(error, dict) else {"message": str(error)}
        self.type = self.error.get("type")
        row = self.error.get("row")
        # rows are numbered within the request; offset makes them indices of the caller's list
        self.row = row + offset if isinstance(row, int) else None
        self.field = self.error.get("field")
        self.judge = self.error.get("judge")
        self.endpoint = self.error.get("endpoint")
        msg = self.error.get("message", "")
        where = ""
        if self.row is not None and offset:
            where = " (row %d of the batch passed to greason_reward)" % self.row
        hint = ""
        if status == 413:
            hint = (" — lower GREASON_REWARD_BATCH_BYTES / GREASON_REWARD_BATCH_ROWS or raise "
                    "greason reward serve --max-body / --max-rows")
        super().__init__("greason reward server %s answered %d %s: %s%s%s"
                         % (url, status, self.type or "", msg, where, hint))


class RewardConnectionError(ConnectionError):
    """The server could not be reached (after the retries)."""


def _env_int(name, default):
    v = os.environ.get(name)
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise ValueError("%s=%r is not an integer" % (name, v)) from None
    if n < 0:
        raise ValueError("%s=%r must not be negative" % (name, v))
    return n


def _env_float(name, default):
    v = os.environ.get(name)
    if v is None or v == "":
        return default
    try:
        x = float(v)
    except ValueError:
        raise ValueError("%s=%r is not a number" % (name, v)) from None
    if x <= 0:
        raise ValueError("%s=%r must be positive" % (name, v))
    return x


class RewardClient:
    """A client of one `greason reward serve`. Thread-safe: each thread keeps its own kept-alive
    connection."""

    def __init__(self, url=None, timeout=None, retries=None, batch_rows=None, batch_bytes=None, parallel=None,
                 backoff=0.5):
        self.url = (url or os.environ.get("GREASON_REWARD_URL") or DEFAULT_URL).rstrip("/")
        u = urllib.parse.urlsplit(self.url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError("GREASON_REWARD_URL=%r: want http://host:port" % self.url)
        self._https = u.scheme == "https"
        self._host = u.hostname
        self._port = u.port or (443 if self._https else 80)
        self._prefix = u.path.rstrip("/")
        self.timeout = timeout if timeout is not None else _env_float("GREASON_REWARD_TIMEOUT", 600.0)
        self.retries = retries if retries is not None else _env_int("GREASON_REWARD_RETRIES", 3)
        self.batch_rows = batch_rows or _env_int("GREASON_REWARD_BATCH_ROWS", 1024) or 1024
        self.batch_bytes = batch_bytes or _env_int("GREASON_REWARD_BATCH_BYTES", 32 << 20) or (32 << 20)
        self.parallel = parallel or _env_int("GREASON_REWARD_PARALLEL", 4) or 1
        self.backoff = backoff  # first wait before a retry, doubled each time (at most 8 s)
        self._encoder = json.JSONEncoder(separators=(",", ":"), check_circular=False)
        self._local = threading.local()
        self._conns = set()  # every thread's connection, closed by close()
        self._pool = None
        self._lock = threading.Lock()

    def close(self):
        """Closes the connections and the thread pool of batched calls."""
        with self._lock:
            conns, self._conns = self._conns, set()
            pool, self._pool = self._pool, None
        for c in conns:
            c.close()
        if pool is not None:
            pool.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- HTTP ---------------------------------------------------------------------------------

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            c = cls(self._host, self._port, timeout=self.timeout)
            self._local.conn = c
        if c.sock is None:
            # (re)connecting: close() closes what it finds here, other threads' connections too
            with self._lock:
                self._conns.add(c)
        return c

    def _drop_conn(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None
            with self._lock:
                self._conns.discard(c)

    def _request(self, method, path, body=None, offset=0):
        """Sends one request; returns the decoded JSON of a 2xx answer, raises otherwise."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        delay = self.backoff
        attempt = 0
        while True:
            try:
                c = self._conn()
                c.request(method, self._prefix + path, body=body, headers=headers)
                resp = c.getresponse()
                raw = resp.read()
                status = resp.status
                if resp.will_close:
                    self._drop_conn()
            except socket.timeout:
                self._drop_conn()
                # the server may still be working on it: resending would only add load
                raise RewardServerError(self.url, 504, {
                    "type": "client_timeout",
                    "message": "no answer within %g s (GREASON_REWARD_TIMEOUT)" % self.timeout}, offset) from None
            except (OSError, http.client.HTTPException) as e:
                # never answered: refused, reset, or a kept-alive connection the server closed
                self._drop_conn()
                if attempt >= self.retries:
                    raise RewardConnectionError("greason reward server %s: %s: %s (after %d retries; is "
                                                "`greason reward serve` running there? GREASON_REWARD_URL)"
                                                % (self.url, type(e).__name__, e, attempt)) from e
                attempt += 1
                time.sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            if 200 <= status < 300:
                try:
                    return json.loads(raw)
                except ValueError as e:
                    raise RewardServerError(self.url, status, {
                        "type": "bad_answer", "message": "answer is not JSON: %s: %r" % (e, raw[:200])}, offset) from None
            try:
                err = json.loads(raw).get("error")
            except (ValueError, AttributeError):
                err = None
            if not isinstance(err, dict):
                err = {"message": raw[:500].decode("utf-8", "replace")}
            if status == 503 and attempt < self.retries:
                attempt += 1
                time.sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            raise RewardServerError(self.url, status, err, offset)

    def health(self):
        """GET /health: the server's judge, tokenizer, limits and counters."""
        return self._request("GET", "/health")

    # -- scoring ------------------------------------------------------------------------------

    def _post_rows(self, rows, offset):
        """Sends rows in one request (split in halves while its body is over batch_bytes)."""
        body = self._encoder.encode({"rows": rows}).encode()
        if len(body) > self.batch_bytes and len(rows) > 1:
            half = len(rows) // 2
            return self._post_rows(rows[:half], offset) + self._post_rows(rows[half:], offset + half)
        out = self._request("POST", "/v1/reward", body, offset)
        results = out.get("results") if isinstance(out, dict) else None
        if not isinstance(results, list) or len(results) != len(rows):
            raise RewardServerError(self.url, 200, {
                "type": "bad_answer",
                "message": "%s results for %d rows" % (len(results) if isinstance(results, list) else "no", len(rows))}, offset)
        return results

    def score_rows(self, rows):
        """Scores rows ({"question", "gold", "response"[, "id", "data_source"]} dicts) and returns
        the server's results in order: {"reward", "correct", "extracted", "layer", "reason"}.
        Rows are sent in requests of at most batch_rows rows and batch_bytes bytes, up to
        parallel at once; each request is encoded by the thread that sends it, so encoding the
        next requests overlaps the server's work on the first."""
        chunks = [(lo, rows[lo:lo + self.batch_rows]) for lo in range(0, len(rows), self.batch_rows)]
        if len(chunks) <= 1 or self.parallel <= 1:
            out = []
            for off, ch in chunks:
                out.extend(self._post_rows(ch, off))
            return out
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="greason-reward")
            pool = self._pool
        futures = [pool.submit(self._post_rows, ch, off) for off, ch in chunks]
        out = []
        try:
            for f in futures:
                out.extend(f.result())
        finally:
            for f in futures:
                f.cancel()
        return out


_client = None
_client_lock = threading.Lock()


def _get_client():
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = RewardClient()
    return _client


def _allow_missing_question(kwargs):
    if "allow_missing_question" in kwargs:
        return bool(kwargs["allow_missing_question"])
    return os.environ.get("GREASON_REWARD_ALLOW_NO_QUESTION", "") not in ("", "0", "false", "False")


def _row(i, data_source, solution_str, ground_truth, extra_info, allow_missing):
    where = "" if i is None else "row %d: " % i
    if not isinstance(solution_str, str):
        raise TypeError("%ssolution_str must be a str, got %s" % (where, type(solution_str).__name__))
    if not isinstance(ground_truth, str):
        raise TypeError("%sground_truth must be a str (reward_model.ground_truth), got %s: %r"
                        % (where, type(ground_truth).__name__, ground_truth))
    question = None
    if extra_info is not None:
        try:
            question = extra_info.get("question")
        except AttributeError:
            raise TypeError("%sextra_info must be a dict, got %s" % (where, type(extra_info).__name__)) from None
    if question is None:
        if not allow_missing:
            raise ValueError("%sextra_info has no 'question' (the judge reads it; greason's data export writes it). "
                             "Pass allow_missing_question=True (custom_reward_function.reward_kwargs) or set "
                             "GREASON_REWARD_ALLOW_NO_QUESTION=1 to score without a question" % where)
    elif not isinstance(question, str):
        raise TypeError("%sextra_info['question'] must be a str, got %s" % (where, type(question).__name__))
    row = {"question": question, "gold": ground_truth, "response": solution_str}
    if isinstance(data_source, str):
        row["data_source"] = data_source
    return row


def _verl_result(r):
    extracted = r.get("extracted")
    return {
        "score": float(r["reward"]),
        "acc": 1.0 if r["correct"] else 0.0,
        "pred": extracted if isinstance(extracted, str) else "",
    }


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs):
    """verl's reward function for one response (see the module's doc)."""
    row = _row(None, data_source, solution_str, ground_truth, extra_info, _allow_missing_question(kwargs))
    return _verl_result(_get_client().score_rows([row])[0])


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **kwargs):
    """verl's batched reward function (BatchRewardManager): one result dict per response."""
    n = len(solution_strs)
    if len(ground_truths) != n or len(data_sources) != n or (extra_infos is not None and len(extra_infos) != n):
        raise ValueError("compute_score_batch: %d solution_strs, %d ground_truths, %d data_sources, %s extra_infos"
                         % (n, len(ground_truths), len(data_sources), "no" if extra_infos is None else len(extra_infos)))
    allow = _allow_missing_question(kwargs)
    rows = [_row(i, data_sources[i], solution_strs[i], ground_truths[i],
                 None if extra_infos is None else extra_infos[i], allow) for i in range(n)]
    return [_verl_result(r) for r in _get_client().score_rows(rows)]
