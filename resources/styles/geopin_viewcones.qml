<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis simplifyAlgorithm="0" readOnly="0" simplifyDrawingHints="1" styleCategories="AllStyleCategories" minScale="100000000" simplifyDrawingTol="1" simplifyMaxScale="1" labelsEnabled="0" hasScaleBasedVisibilityFlag="0" version="3.22.16-Białowieża" simplifyLocal="1" maxScale="0" symbologyReferenceScale="-1">
  <flags>
    <Identifiable>1</Identifiable>
    <Removable>1</Removable>
    <Searchable>1</Searchable>
    <Private>0</Private>
  </flags>
  <temporal enabled="0" endField="" accumulate="0" durationUnit="min" limitMode="0" fixedDuration="0" endExpression="" startExpression="" durationField="" startField="" mode="0">
    <fixedRange>
      <start></start>
      <end></end>
    </fixedRange>
  </temporal>
  <renderer-v2 type="singleSymbol" enableorderby="0" forceraster="0" symbollevels="0" referencescale="-1">
    <symbols>
      <symbol type="fill" alpha="1" clip_to_extent="1" force_rhr="0" name="0">
        <data_defined_properties>
          <Option type="Map">
            <Option type="QString" value="" name="name"/>
            <Option name="properties"/>
            <Option type="QString" value="collection" name="type"/>
          </Option>
        </data_defined_properties>
        <layer enabled="1" locked="0" pass="0" class="SimpleFill">
          <Option type="Map">
            <Option type="QString" value="3x:0,0,0,0,0,0" name="border_width_map_unit_scale"/>
            <Option type="QString" value="0,150,170,60" name="color"/>
            <Option type="QString" value="bevel" name="joinstyle"/>
            <Option type="QString" value="0,0" name="offset"/>
            <Option type="QString" value="3x:0,0,0,0,0,0" name="offset_map_unit_scale"/>
            <Option type="QString" value="MM" name="offset_unit"/>
            <Option type="QString" value="0,122,138,255" name="outline_color"/>
            <Option type="QString" value="solid" name="outline_style"/>
            <Option type="QString" value="0.5" name="outline_width"/>
            <Option type="QString" value="MM" name="outline_width_unit"/>
            <Option type="QString" value="solid" name="style"/>
          </Option>
          <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="color" v="0,150,170,60"/>
          <prop k="joinstyle" v="bevel"/>
          <prop k="offset" v="0,0"/>
          <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0"/>
          <prop k="offset_unit" v="MM"/>
          <prop k="outline_color" v="0,122,138,255"/>
          <prop k="outline_style" v="solid"/>
          <prop k="outline_width" v="0.5"/>
          <prop k="outline_width_unit" v="MM"/>
          <prop k="style" v="solid"/>
          <data_defined_properties>
            <Option type="Map">
              <Option type="QString" value="" name="name"/>
              <Option name="properties"/>
              <Option type="QString" value="collection" name="type"/>
            </Option>
          </data_defined_properties>
        </layer>
      </symbol>
    </symbols>
    <rotation/>
    <sizescale/>
  </renderer-v2>
  <customproperties>
    <Option/>
  </customproperties>
  <blendMode>0</blendMode>
  <featureBlendMode>0</featureBlendMode>
  <layerOpacity>1</layerOpacity>
  <geometryOptions geometryPrecision="0" removeDuplicateNodes="0">
    <activeChecks type="StringList">
      <Option type="QString" value=""/>
    </activeChecks>
    <checkConfiguration/>
  </geometryOptions>
  <legend type="default-vector" showLabelLegend="0"/>
  <referencedLayers/>
  <fieldConfiguration>
    <field configurationFlags="None" name="photo">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="photo_name">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="label">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="label_text">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="heading_deg">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="heading_sd_deg">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="fov_deg">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="fov_source">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="depth_m">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="depth_source">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="position_method">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="pinned_by">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
    <field configurationFlags="None" name="pinned_ref">
      <editWidget type="">
        <config>
          <Option/>
        </config>
      </editWidget>
    </field>
  </fieldConfiguration>
  <aliases>
    <alias index="0" name="" field="photo"/>
    <alias index="1" name="" field="photo_name"/>
    <alias index="2" name="" field="label"/>
    <alias index="3" name="" field="label_text"/>
    <alias index="4" name="" field="heading_deg"/>
    <alias index="5" name="" field="heading_sd_deg"/>
    <alias index="6" name="" field="fov_deg"/>
    <alias index="7" name="" field="fov_source"/>
    <alias index="8" name="" field="depth_m"/>
    <alias index="9" name="" field="depth_source"/>
    <alias index="10" name="" field="position_method"/>
    <alias index="11" name="" field="pinned_by"/>
    <alias index="12" name="" field="pinned_ref"/>
  </aliases>
  <defaults>
    <default applyOnUpdate="0" expression="" field="photo"/>
    <default applyOnUpdate="0" expression="" field="photo_name"/>
    <default applyOnUpdate="0" expression="" field="label"/>
    <default applyOnUpdate="0" expression="" field="label_text"/>
    <default applyOnUpdate="0" expression="" field="heading_deg"/>
    <default applyOnUpdate="0" expression="" field="heading_sd_deg"/>
    <default applyOnUpdate="0" expression="" field="fov_deg"/>
    <default applyOnUpdate="0" expression="" field="fov_source"/>
    <default applyOnUpdate="0" expression="" field="depth_m"/>
    <default applyOnUpdate="0" expression="" field="depth_source"/>
    <default applyOnUpdate="0" expression="" field="position_method"/>
    <default applyOnUpdate="0" expression="" field="pinned_by"/>
    <default applyOnUpdate="0" expression="" field="pinned_ref"/>
  </defaults>
  <constraints>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="photo"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="photo_name"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="label"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="label_text"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="heading_deg"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="heading_sd_deg"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="fov_deg"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="fov_source"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="depth_m"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="depth_source"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="position_method"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="pinned_by"/>
    <constraint notnull_strength="0" exp_strength="0" constraints="0" unique_strength="0" field="pinned_ref"/>
  </constraints>
  <constraintExpressions>
    <constraint desc="" exp="" field="photo"/>
    <constraint desc="" exp="" field="photo_name"/>
    <constraint desc="" exp="" field="label"/>
    <constraint desc="" exp="" field="label_text"/>
    <constraint desc="" exp="" field="heading_deg"/>
    <constraint desc="" exp="" field="heading_sd_deg"/>
    <constraint desc="" exp="" field="fov_deg"/>
    <constraint desc="" exp="" field="fov_source"/>
    <constraint desc="" exp="" field="depth_m"/>
    <constraint desc="" exp="" field="depth_source"/>
    <constraint desc="" exp="" field="position_method"/>
    <constraint desc="" exp="" field="pinned_by"/>
    <constraint desc="" exp="" field="pinned_ref"/>
  </constraintExpressions>
  <expressionfields/>
  <attributeactions/>
  <attributetableconfig actionWidgetStyle="dropDown" sortExpression="" sortOrder="0">
    <columns/>
  </attributetableconfig>
  <conditionalstyles>
    <rowstyles/>
    <fieldstyles/>
  </conditionalstyles>
  <storedexpressions/>
  <editform tolerant="1"></editform>
  <editforminit/>
  <editforminitcodesource>0</editforminitcodesource>
  <editforminitfilepath></editforminitfilepath>
  <editforminitcode><![CDATA[]]></editforminitcode>
  <featformsuppress>0</featformsuppress>
  <editorlayout>generatedlayout</editorlayout>
  <editable/>
  <labelOnTop/>
  <reuseLastValue/>
  <dataDefinedFieldProperties/>
  <widgets/>
  <previewExpression></previewExpression>
  <mapTip></mapTip>
  <layerGeometryType>2</layerGeometryType>
</qgis>
