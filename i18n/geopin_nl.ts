<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="nl_NL">
    <context>
        <name>GeoPin</name>
        <message>
            <source>#{0} · sim {1:.3f} · {2} inliers{3}
{4} · {5:.0f} m from estimate</source>
            <translation>#{0} · overeenkomst {1:.3f} · {2} inliers{3}
{4} · {5:.0f} m van de schatting</translation>
        </message>
        <message>
            <source>All dependencies are installed and import correctly.</source>
            <translation>Alle afhankelijkheden zijn geïnstalleerd en laten zich correct importeren.</translation>
        </message>
        <message>
            <source>Browse photo…</source>
            <translation>Foto kiezen…</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>Annuleren</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>Geannuleerd</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>Bezig met annuleren…</translation>
        </message>
        <message>
            <source>Candidates</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Cannot read {0}</source>
            <translation>Kan {0} niet lezen</translation>
        </message>
        <message>
            <source>Cannot write {0}</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Choose a photo</source>
            <translation>Kies een foto</translation>
        </message>
        <message>
            <source>Choose an existing reference database first.</source>
            <translation>Kies eerst een bestaande referentiedatabase.</translation>
        </message>
        <message>
            <source>Could not add layers: {0}</source>
            <translation>Kon geen lagen toevoegen: {0}</translation>
        </message>
        <message>
            <source>Could not start Python ({0}): {1}</source>
            <translation>Kan Python niet starten ({0}): {1}</translation>
        </message>
        <message>
            <source>Done in {0:.1f} s</source>
            <translation>Klaar in {0:.1f} s</translation>
        </message>
        <message>
            <source>Drop a photo here</source>
            <translation>Sleep een foto hierheen</translation>
        </message>
        <message>
            <source>EXIF position {0:.6f}, {1:.6f}</source>
            <translation>EXIF-positie {0:.6f}, {1:.6f}</translation>
        </message>
        <message>
            <source>Embedding</source>
            <translation>Inbedden</translation>
        </message>
        <message>
            <source>Estimate</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Estimate {0:.6f}, {1:.6f} (RD {2:.0f}, {3:.0f})</source>
            <translation>Schatting {0:.6f}, {1:.6f} (RD {2:.0f}, {3:.0f})</translation>
        </message>
        <message>
            <source>Estimating the location</source>
            <translation>Locatie schatten</translation>
        </message>
        <message>
            <source>Footprints</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>GeoPin</source>
            <translation>GeoPin</translation>
        </message>
        <message>
            <source>GeoPin is missing Python packages: {0}. Install them from the menu Plugins ▸ GeoPin ▸ Install dependencies…, or with pip into QGIS's Python (see the GeoPin README).</source>
            <translation>GeoPin mist Python-pakketten: {0}. Installeer ze via het menu Plugins ▸ GeoPin ▸ Afhankelijkheden installeren…, of met pip in de Python van QGIS (zie de README van GeoPin).</translation>
        </message>
        <message>
            <source>GeoPin match: view {0}</source>
            <translation>GeoPin-overeenkomst: beeld {0}</translation>
        </message>
        <message>
            <source>GeoPin needs these Python packages: {0}.</source>
            <translation>GeoPin heeft deze Python-pakketten nodig: {0}.</translation>
        </message>
        <message>
            <source>GeoPin photo geolocation</source>
            <translation>GeoPin fotolocatie</translation>
        </message>
        <message>
            <source>GeoPin: install Python dependencies</source>
            <translation>GeoPin: Python-afhankelijkheden installeren</translation>
        </message>
        <message>
            <source>GeoPin: locating {0}</source>
            <translation>GeoPin: {0} lokaliseren</translation>
        </message>
        <message>
            <source>GeoPin: {0}</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Geolocation failed</source>
            <translation>Lokaliseren mislukt</translation>
        </message>
        <message>
            <source>Heading {0:.0f}°</source>
            <translation>Kijkrichting {0:.0f}°</translation>
        </message>
        <message>
            <source>Install</source>
            <translation>Installeren</translation>
        </message>
        <message>
            <source>Install dependencies…</source>
            <translation>Afhankelijkheden installeren…</translation>
        </message>
        <message>
            <source>Installed, but these packages cannot be imported: {0}. Restart QGIS and try again.</source>
            <translation>Geïnstalleerd, maar deze pakketten kunnen niet worden geïmporteerd: {0}. Start QGIS opnieuw en probeer het nog eens.</translation>
        </message>
        <message>
            <source>Installing… (this can take a few minutes)</source>
            <translation>Bezig met installeren… (dit kan enkele minuten duren)</translation>
        </message>
        <message>
            <source>Locate</source>
            <translation>Lokaliseren</translation>
        </message>
        <message>
            <source>Missing Python packages: {0}. Use Plugins ▸ GeoPin ▸ Install dependencies…</source>
            <translation>Ontbrekende Python-pakketten: {0}. Gebruik Plugins ▸ GeoPin ▸ Afhankelijkheden installeren…</translation>
        </message>
        <message>
            <source>Missing now: {0}.</source>
            <translation>Ontbreekt nu: {0}.</translation>
        </message>
        <message>
            <source>No GPS position in EXIF</source>
            <translation>Geen GPS-positie in EXIF</translation>
        </message>
        <message>
            <source>No reference image for view {0}</source>
            <translation>Geen referentiebeeld voor beeld {0}</translation>
        </message>
        <message>
            <source>Photo geolocation</source>
            <translation>Fotolocatie</translation>
        </message>
        <message>
            <source>Posterior</source>
            <translation type="unfinished" />
        </message>
        <message>
            <source>Rank {0} · similarity {1:.3f} · {2} inliers · {3}</source>
            <translation>Rang {0} · overeenkomst {1:.3f} · {2} inliers · {3}</translation>
        </message>
        <message>
            <source>Reading the photo</source>
            <translation>Foto lezen</translation>
        </message>
        <message>
            <source>Ready.</source>
            <translation>Gereed.</translation>
        </message>
        <message>
            <source>Reference database</source>
            <translation>Referentiedatabase</translation>
        </message>
        <message>
            <source>Reference: {0}</source>
            <translation>Referentie: {0}</translation>
        </message>
        <message>
            <source>Searching the database</source>
            <translation>Database doorzoeken</translation>
        </message>
        <message>
            <source>Show matches</source>
            <translation>Overeenkomsten tonen</translation>
        </message>
        <message>
            <source>Taken {0}</source>
            <translation>Genomen op {0}</translation>
        </message>
        <message>
            <source>They are installed with pip into {0} (outside the plugin folder).</source>
            <translation>Ze worden met pip geïnstalleerd in {0} (buiten de pluginmap).</translation>
        </message>
        <message>
            <source>Verifying</source>
            <translation>Verifiëren</translation>
        </message>
        <message>
            <source>confident</source>
            <translation>zeker</translation>
        </message>
        <message>
            <source>no match</source>
            <translation>geen overeenkomst</translation>
        </message>
        <message>
            <source>not verified</source>
            <translation>niet geverifieerd</translation>
        </message>
        <message>
            <source>pip failed (exit code {0}); see the log above.</source>
            <translation>pip is mislukt (afsluitcode {0}); zie het logboek hierboven.</translation>
        </message>
        <message>
            <source>uncertain</source>
            <translation>onzeker</translation>
        </message>
        <message>
            <source>verified</source>
            <translation>geverifieerd</translation>
        </message>
        <message>
            <source>{0:.0f} m from the photo's EXIF position</source>
            <translation>{0:.0f} m van de EXIF-positie van de foto</translation>
        </message>
        <message>
            <source>{0} · confidence {1:.2f} · ± {2:.0f} m · {3} verified</source>
            <translation>{0} · betrouwbaarheid {1:.2f} · ± {2:.0f} m · {3} geverifieerd</translation>
        </message>
    </context>
</TS>
