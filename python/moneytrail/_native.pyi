"""Type stubs of the Rust extension module (built from python/src)."""

from typing import Dict, List, Optional, Tuple

__version__: str

class MoneytrailError(Exception):
    """Any error moneytrail reports."""

class InputError(MoneytrailError):
    """The input cannot be read."""

    path: Optional[str]
    row: Optional[int]
    line: Optional[int]
    column: Optional[str]
    value: Optional[str]
    reason: Optional[str]
    detail: Optional[str]

class ArgumentError(MoneytrailError):
    """An argument is not valid."""

class Transfers:
    account_count: int
    source: str
    def __len__(self) -> int: ...
    def load_report_json(self) -> str: ...
    def summary_json(self) -> Tuple[str, str]: ...
    def transfers_parquet(self) -> bytes: ...
    def analyze(
        self, config: Optional[str] = None, shard: Optional[str] = None, model: Optional[str] = None
    ) -> Analysis: ...
    def train(
        self,
        out: str,
        *,
        labels: Optional[str] = None,
        rounds: Optional[int] = None,
        seed: int = 1,
        validation_share: Optional[float] = None,
        window: str = "1d",
        cycle_hops: Optional[int] = None,
        currency: str = "USD",
        history: Optional[str] = "30d",
        negative_share: Optional[float] = None,
    ) -> str: ...
    def trace(
        self,
        account: Optional[str] = None,
        *,
        transfers: Optional[List[str]] = None,
        sent: bool = False,
        since: Optional[str] = None,
        amount: Optional[str] = None,
        rule: str = "fifo",
        max_hops: int = 12,
        horizon: Optional[str] = None,
        min_amount: Optional[str] = None,
        currency: str = "USD",
        through_exchanges: str = "linked",
        exchange_links: Optional[str] = None,
    ) -> Traced: ...
    def sources_of_funds(
        self,
        account: str,
        *,
        at: Optional[str] = None,
        rule: str = "fifo",
        max_hops: int = 12,
        min_amount: Optional[str] = None,
        max_sources: int = 10000,
        currency: str = "USD",
        through_exchanges: str = "linked",
        exchange_links: Optional[str] = None,
    ) -> Sources: ...
    def exposure_json(
        self,
        account: str,
        tags: str,
        *,
        max_hops: int = 3,
        rule: str = "fifo",
        cluster: bool = False,
        currency: str = "USD",
        through_exchanges: str = "linked",
        exchange_links: Optional[str] = None,
    ) -> str: ...
    def features_file(
        self,
        path: str,
        *,
        window: str = "1d",
        cycle_hops: Optional[int] = None,
        currency: str = "USD",
        shard: Optional[str] = None,
        history: Optional[str] = "30d",
    ) -> List[str]: ...
    def paths_json(
        self,
        source: str,
        target: str,
        *,
        max_hops: int = 6,
        window: str = "30d",
        limit: int = 100,
        min_amount: Optional[str] = None,
        min_retention: Optional[float] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        currency: str = "USD",
    ) -> Tuple[str, bool, Optional[str]]: ...

class Analysis:
    warnings: List[str]
    truncated: Dict[str, bool]
    seconds: Dict[str, float]
    currency: str
    def __len__(self) -> int: ...
    def findings_parquet(self) -> bytes: ...
    def table(self) -> str: ...
    def config_json(self) -> str: ...
    def write(self, dir: str, *, html: bool = True, parquet: bool = False) -> List[str]: ...
    def finding_svg(self, index: int, max_arrows: int = 60) -> str: ...
    def transfer_scores_parquet(self) -> Optional[bytes]: ...
    def account_scores_parquet(self) -> Optional[bytes]: ...
    def score_json(self, truth: str, *, typologies: List[str] = ..., min_score: float = 0.0) -> str: ...
    def investigate(
        self,
        subjects: List[Tuple[str, str, str]],
        *,
        rule: str = "fifo",
        max_hops: int = 4,
        top: int = 25,
        pseudonymise: Optional[str] = None,
        tags: Optional[str] = None,
        through_exchanges: str = "linked",
        exchange_links: Optional[str] = None,
    ) -> Cases: ...

class Cases:
    def cases_json(self) -> str: ...
    def write(self, dir: str, *, html: bool = True, parquet: bool = False) -> List[str]: ...

class Traced:
    why_empty: Optional[str]
    conserved: bool
    def summary_json(self) -> str: ...
    def flows_parquet(self) -> bytes: ...
    def text(self, top: int = 10) -> str: ...
    def svg(self, max_arrows: int = 60) -> str: ...
    def write(self, dir: str, *, html: bool = True, parquet: bool = False) -> List[str]: ...

class Sources:
    why_empty: Optional[str]
    def balances_json(self) -> str: ...
    def sources_json(self) -> str: ...
    def write(self, dir: str, *, html: bool = True, parquet: bool = False) -> List[str]: ...

def load(
    path: str,
    *,
    format: str = "auto",
    lenient: bool = False,
    asset: Optional[str] = None,
    nodes: Optional[str] = None,
    fx: Optional[str] = None,
) -> Transfers: ...
def open_store(
    path: str,
    *,
    read_from: Optional[str] = None,
    read_until: Optional[str] = None,
    fx: Optional[str] = None,
) -> Transfers: ...
def ingest_files(
    store: str,
    inputs: List[str],
    *,
    format: str = "auto",
    lenient: bool = False,
    asset: Optional[str] = None,
    partition: str = "1d",
    piece_rows: int = 4_000_000,
) -> str: ...
def sample_files(dir: str) -> str: ...
def generate(
    dir: str,
    *,
    preset: str = "small",
    seed: int = 1,
    accounts: Optional[int] = None,
    transfers: Optional[int] = None,
    days: Optional[int] = None,
    per_typology: Optional[int] = None,
    difficulty: str = "normal",
    format: str = "transfers",
    parquet: bool = False,
) -> Tuple[int, int, int]: ...
def cluster(
    path: str, *, tags: Optional[str] = None, keep_coinjoin: bool = False, lenient: bool = False
) -> Tuple[str, int]: ...
def spark_normalize(path: str, *, format: str = "auto", asset: Optional[str] = None) -> bytes: ...

class SparkPlan:
    """A sharded analysis of a Spark DataFrame (see moneytrail/spark.py)."""

    def __init__(
        self,
        glance: bytes,
        *,
        config: Optional[str] = None,
        shard: str = "7d",
        fx: Optional[str] = None,
        account_parts: Optional[int] = None,
        features: Optional[str] = None,
    ) -> None: ...
    @staticmethod
    def received(shipped: bytes, *, config: Optional[str] = None) -> "SparkPlan": ...
    def shipped(self) -> bytes: ...
    @property
    def parts(self) -> int: ...
    @property
    def transfers(self) -> int: ...
    @property
    def accounts(self) -> int: ...
    @property
    def reads(self) -> int: ...
    def take_assignments(self) -> bytes: ...
    def run(self, part: int, rows: bytes) -> str: ...
    def named(self, results: List[str]) -> bytes: ...
    def combine(self, results: List[str], named: bytes) -> Tuple[bytes, str]: ...
    def rule_table(self, results: List[str], named: bytes) -> Tuple[bytes, str]: ...
    def features(self, shard: int, rows: bytes) -> bytes: ...
    def feature_names(self) -> Tuple[List[str], List[str]]: ...
    @staticmethod
    def rule_names() -> List[str]: ...
