<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="nl_NL">
<context>
    <name>GeoPin</name>
    <message>
        <source>GeoPin photo geolocation</source>
        <translation>GeoPin fotolocatie</translation>
    </message>
    <message>
        <source>Install dependencies…</source>
        <translation>Afhankelijkheden installeren…</translation>
    </message>
    <message>
        <source>Photo geolocation</source>
        <translation>Fotolocatie</translation>
    </message>
</context>
</TS>
