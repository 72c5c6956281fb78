"""Parameter groups that several GeoPin algorithms declare, each written once (mixins
in the manner of QuickOSM's build_input.py): an algorithm adds a group with one call
and reads it back with the group's method, so names, defaults, help texts and
messages are the same wherever the group appears. Mixed into GeoPinAlgorithm
subclasses (they use its add() and tr())."""
import os

from qgis.core import (
    QgsProcessingException,
    QgsProcessingUtils,
    QgsProcessingOutputNumber,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
)

from ..geopin_plugin import settings


class DatabaseInput:
    """DATABASE: an existing GeoPin reference database (.gpkg)."""

    DATABASE = "DATABASE"

    def add_database_input(self, description, optional=False, remembered=False, help_text=None):
        """`remembered`: prefilled with the database the GeoPin panel last used."""
        default = (settings.value("database") or None) if remembered else None
        self.add(QgsProcessingParameterFile(self.DATABASE, description, extension="gpkg", optional=optional,
                                            defaultValue=default), help_text)

    def existing_database(self, parameters, context):
        database = self.parameterAsFile(parameters, self.DATABASE, context)
        if not database or not os.path.isfile(database):
            raise QgsProcessingException(self.tr("Reference database not found: {0}").format(database))
        return database


class SearchDepth:
    """TOP_K and VERIFY_TOP: how many reference views are retrieved and verified per
    photo, with the engine's defaults (settings.DEFAULTS reads them from PipelineConfig)."""

    TOP_K = "TOP_K"
    VERIFY_TOP = "VERIFY_TOP"

    def add_search_depth(self):
        for name, key, description, help_text in (
                (self.TOP_K, "top_k", self.tr("Candidates retrieved per photo"),
                 self.tr("How many of the most similar reference views are retrieved per photo.")),
                (self.VERIFY_TOP, "verify_top", self.tr("Candidates verified per photo"),
                 self.tr("How many of those are checked geometrically (slower, surer)."))):
            low, high = settings.SEARCH_DEPTH_RANGES[key]
            self.add(QgsProcessingParameterNumber(name, description, QgsProcessingParameterNumber.Integer,
                                                  settings.DEFAULTS[key], minValue=low, maxValue=high), help_text)

    def search_config(self, parameters, context):
        """The engine's PipelineConfig with the chosen TOP_K and VERIFY_TOP."""
        from ..geopin_plugin.engine.pipeline import PipelineConfig

        return PipelineConfig(top_k=self.parameterAsInt(parameters, self.TOP_K, context),
                              verify_top=self.parameterAsInt(parameters, self.VERIFY_TOP, context))


def is_temporary(path):
    """Whether `path` is in QGIS's temporary Processing folder (a TEMPORARY_OUTPUT)."""
    temp = os.path.realpath(QgsProcessingUtils.tempFolder())
    return os.path.realpath(path).startswith(temp + os.sep)


def durable_database_path():
    """A new database in GeoPin's data folder (<user data>/databases), named by the time."""
    import time

    from ..geopin_plugin.engine.paths import user_data_dir

    folder = user_data_dir() / "databases"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"geopin-{stamp}.gpkg", 1
    while path.exists():
        n += 1
        path = folder / f"geopin-{stamp}-{n}.gpkg"
    return str(path)


class DatabaseBuild:
    """What the two algorithms that fill a reference database share (Build reference
    database, Import street-level imagery): the DATABASE to create or add to, the views
    per panorama, the counts they output, loading the models and the closing warnings."""

    DATABASE = "DATABASE"
    ADD_TO = "ADD_TO"
    PANORAMA_HEADINGS = "PANORAMA_HEADINGS"
    ADDED = "ADDED"
    FAILED = "FAILED"
    VIEWS = "VIEWS"

    def add_database_output(self):
        """A new database (a save-as destination) or an existing one to add to: the
        latter is an input file, so choosing it never asks "Do you want to replace it?"."""
        self.add(QgsProcessingParameterFile(
            self.ADD_TO, self.tr("Add to this existing reference database"), extension="gpkg", optional=True),
            self.tr("An existing GeoPin database: the new views are added to it (images it already holds are "
                    "skipped). Leave empty to create a new database below."))
        self.add(QgsProcessingParameterFileDestination(
            self.DATABASE, self.tr("New reference database"), fileFilter=self.tr("GeoPackage (*.gpkg)"),
            optional=True, createByDefault=True),
            self.tr("Where to create a new database (ignored when a database to add to is chosen above). Left as a "
                    "temporary file, it is kept in GeoPin's data folder instead, as QGIS deletes temporary files "
                    "when it closes."))

    def add_panorama_headings(self, advanced=False):
        from ..geopin_plugin.engine.builder.config import BuildConfig

        self.add(QgsProcessingParameterNumber(
            self.PANORAMA_HEADINGS, self.tr("Views per panorama"), QgsProcessingParameterNumber.Integer,
            defaultValue=BuildConfig.panorama_headings, minValue=1, maxValue=36), advanced=advanced)

    def add_count_outputs(self, already_stored):
        """ADDED, `already_stored` (the output naming the images skipped), FAILED and VIEWS."""
        for name, description in ((self.ADDED, self.tr("Images added")),
                                  (already_stored, self.tr("Images skipped (already in the database)")),
                                  (self.FAILED, self.tr("Images that failed")),
                                  (self.VIEWS, self.tr("Views added"))):
            self.addOutput(QgsProcessingOutputNumber(name, description))

    def output_database(self, parameters, context):
        """The database path, with .gpkg added when missing."""
        database = self.parameterAsFile(parameters, self.ADD_TO, context)
        if database and not os.path.isfile(database):
            raise QgsProcessingException(self.tr("The database to add to does not exist: {0}").format(database))
        database = database or self.parameterAsFileOutput(parameters, self.DATABASE, context)
        if not database:
            raise QgsProcessingException(self.tr("No output database given"))
        if is_temporary(database):  # QGIS deletes its temporary files at exit: a database must outlive it
            database = durable_database_path()
        return database if database.lower().endswith(".gpkg") else database + ".gpkg"

    def load_models_or_fail(self, load_models, *args):
        try:
            return load_models(*args)
        except Exception as exc:  # missing/corrupt model files: a user error with the reason
            raise QgsProcessingException(
                self.tr("Cannot load the models: {0}. Install them from Plugins ▸ GeoPin ▸ Models… (a models "
                        "ZIP or an ONNX file with its card); the plugin ZIP ships them.").format(exc))

    def warn_skipped_and_canceled(self, report, feedback):
        for what, reason in report.errors:
            feedback.pushWarning(self.tr("Skipped {0}: {1}").format(what, reason))
        if report.canceled:
            feedback.pushWarning(self.tr("Canceled: the database holds every image committed before the cancel; "
                                         "run again to add the rest."))

    def report_masks(self, masks, feedback):
        """The static-overlay masks this run learned, per capture group (mask_build.py):
        the folder's camera, or the source's sequence, track or capture run."""
        from ..geopin_plugin.engine.database.overlay_masks import MIN_GROUP_IMAGES

        if masks is None:
            return
        for group, images, share in masks.learned:
            feedback.pushInfo(self.tr("Overlay mask learned for {0}: {1} images, {2:.1f} % of the view masked").format(
                group, images, 100.0 * share))
        if masks.keypoints_dropped:
            feedback.pushInfo(self.tr("Overlay masks: {0} keypoints on logos, caps or hoods left out of {1} views")
                              .format(masks.keypoints_dropped, masks.views_filtered))
        if masks.too_small:
            feedback.pushInfo(self.tr("{0} capture groups have fewer than {1} images: no overlay mask learned "
                                      "(the verifier's overlay guards still apply)").format(masks.too_small, MIN_GROUP_IMAGES))
