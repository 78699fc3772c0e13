// Chinese for the process owners' editors: bpmn-js and dmn-js take it through their `translate` service,
// form-js's editor (which has none) through its rendered text. Loaded before the editors' scripts.
window.zhunruZh = (function () {
  'use strict';
  const COMMON = {
    'Activate hand tool': '抓手工具（平移画布）',
    'Activate lasso tool': '套索工具（框选）',
    'Activate create/remove space tool': '空间工具（增加/移除空白）',
    'Activate global connect tool': '连线工具',
    'Add text annotation': '添加文字注释',
    'Connect to other element': '连接到其他元素',
    'Connect using association': '用关联连接',
    'Connect using data input association': '用数据输入关联连接',
    'Delete': '删除',
    'Search in diagram': '在图中搜索',
    'Change element': '更改元素类型',
    'Open {element}': '打开 {element}',
    'Align elements': '对齐元素',
    'Align elements ': '对齐元素',
    'Distribute elements horizontally': '水平均匀分布',
    'Distribute elements vertically': '垂直均匀分布',
    ' + shift + ': ' + Shift + ',
    'Align left': '左对齐', 'Align center': '水平居中', 'Align right': '右对齐',
    'Align top': '顶端对齐', 'Align middle': '垂直居中', 'Align bottom': '底端对齐',
  };

  const BPMN = {
    ...COMMON,
    // palette
    'Create start event': '创建开始事件',
    'Create intermediate/boundary event': '创建中间/边界事件',
    'Create end event': '创建结束事件',
    'Create gateway': '创建网关',
    'Create task': '创建任务',
    'Create data object reference': '创建数据对象引用',
    'Create data store reference': '创建数据存储引用',
    'Create expanded sub-process': '创建展开的子流程',
    'Create pool/participant': '创建池/参与者',
    'Create group': '创建分组',
    // context pad
    'Append end event': '追加结束事件',
    'Append gateway': '追加网关',
    'Append task': '追加任务',
    'Append intermediate/boundary event': '追加中间/边界事件',
    'Append message intermediate catch event': '追加消息捕获事件',
    'Append timer intermediate catch event': '追加定时捕获事件',
    'Append conditional intermediate catch event': '追加条件捕获事件',
    'Append signal intermediate catch event': '追加信号捕获事件',
    'Append receive task': '追加接收任务',
    'Append compensation activity': '追加补偿活动',
    'Add lane above': '在上方添加泳道',
    'Add lane below': '在下方添加泳道',
    'Divide into two lanes': '分为两条泳道',
    'Divide into three lanes': '分为三条泳道',
    // replace menu
    'Parallel multi-instance': '并行多实例',
    'Sequential multi-instance': '串行多实例',
    'Loop': '循环',
    'Collection': '集合',
    'Participant multiplicity': '参与者多重性',
    'Toggle non-interrupting': '切换不中断',
    'Start event': '开始事件',
    'Intermediate throw event': '中间抛出事件',
    'End event': '结束事件',
    'Boundary event': '边界事件',
    'Message start event': '消息开始事件',
    'Message start event (non-interrupting)': '消息开始事件（不中断）',
    'Timer start event': '定时开始事件',
    'Timer start event (non-interrupting)': '定时开始事件（不中断）',
    'Conditional start event': '条件开始事件',
    'Conditional start event (non-interrupting)': '条件开始事件（不中断）',
    'Signal start event': '信号开始事件',
    'Signal start event (non-interrupting)': '信号开始事件（不中断）',
    'Error start event': '错误开始事件',
    'Escalation start event': '升级开始事件',
    'Escalation start event (non-interrupting)': '升级开始事件（不中断）',
    'Compensation start event': '补偿开始事件',
    'Message intermediate catch event': '消息捕获事件',
    'Message intermediate throw event': '消息抛出事件',
    'Timer intermediate catch event': '定时捕获事件',
    'Escalation intermediate throw event': '升级抛出事件',
    'Conditional intermediate catch event': '条件捕获事件',
    'Link intermediate catch event': '链接捕获事件',
    'Link intermediate throw event': '链接抛出事件',
    'Compensation intermediate throw event': '补偿抛出事件',
    'Signal intermediate catch event': '信号捕获事件',
    'Signal intermediate throw event': '信号抛出事件',
    'Message end event': '消息结束事件',
    'Escalation end event': '升级结束事件',
    'Error end event': '错误结束事件',
    'Cancel end event': '取消结束事件',
    'Compensation end event': '补偿结束事件',
    'Signal end event': '信号结束事件',
    'Terminate end event': '终止结束事件',
    'Message boundary event': '消息边界事件',
    'Message boundary event (non-interrupting)': '消息边界事件（不中断）',
    'Timer boundary event': '定时边界事件',
    'Timer boundary event (non-interrupting)': '定时边界事件（不中断）',
    'Escalation boundary event': '升级边界事件',
    'Escalation boundary event (non-interrupting)': '升级边界事件（不中断）',
    'Conditional boundary event': '条件边界事件',
    'Conditional boundary event (non-interrupting)': '条件边界事件（不中断）',
    'Error boundary event': '错误边界事件',
    'Cancel boundary event': '取消边界事件',
    'Signal boundary event': '信号边界事件',
    'Signal boundary event (non-interrupting)': '信号边界事件（不中断）',
    'Compensation boundary event': '补偿边界事件',
    'Exclusive gateway': '排他网关',
    'Parallel gateway': '并行网关',
    'Inclusive gateway': '包容网关',
    'Complex gateway': '复杂网关',
    'Event-based gateway': '事件网关',
    'Event based instantiating Gateway': '事件实例化网关',
    'Parallel Event based instantiating Gateway': '并行事件实例化网关',
    'Task': '任务',
    'Send task': '发送任务',
    'Receive task': '接收任务',
    'User task': '用户任务',
    'Manual task': '手工任务',
    'Business rule task': '业务规则任务（决策表）',
    'Service task': '服务任务',
    'Script task': '脚本任务',
    'Call activity': '调用活动',
    'Sub-process': '子流程',
    'Sub-process (collapsed)': '子流程（折叠）',
    'Sub-process (expanded)': '子流程（展开）',
    'Ad-hoc sub-process': '自由子流程',
    'Ad-hoc sub-process (collapsed)': '自由子流程（折叠）',
    'Ad-hoc sub-process (expanded)': '自由子流程（展开）',
    'Event sub-process': '事件子流程',
    'Transaction': '事务',
    'Sequence flow': '顺序流',
    'Default flow': '默认流',
    'Conditional flow': '条件流',
    'Data object reference': '数据对象引用',
    'Data store reference': '数据存储引用',
    'Expanded pool/participant': '展开的池/参与者',
    'Empty pool/participant': '空的池/参与者',
    'flow elements must be children of pools/participants': '流程元素必须位于池/参与者之内',
    'Data object must be placed within a pool/participant.': '数据对象必须放在池/参与者之内。',
  };

  // The properties panel's heading names the element's kind.
  const TYPES = {
    'bpmn:Process': '流程', 'bpmn:Collaboration': '协作', 'bpmn:Participant': '池', 'bpmn:Lane': '泳道',
    'bpmn:StartEvent': '开始事件', 'bpmn:EndEvent': '结束事件', 'bpmn:IntermediateCatchEvent': '中间捕获事件',
    'bpmn:IntermediateThrowEvent': '中间抛出事件', 'bpmn:BoundaryEvent': '边界事件',
    'bpmn:Task': '任务', 'bpmn:UserTask': '用户任务', 'bpmn:ManualTask': '手工任务', 'bpmn:ServiceTask': '服务任务',
    'bpmn:ScriptTask': '脚本任务', 'bpmn:BusinessRuleTask': '业务规则任务', 'bpmn:SendTask': '发送任务',
    'bpmn:ReceiveTask': '接收任务', 'bpmn:CallActivity': '调用活动', 'bpmn:SubProcess': '子流程',
    'bpmn:Transaction': '事务', 'bpmn:AdHocSubProcess': '自由子流程',
    'bpmn:ExclusiveGateway': '排他网关', 'bpmn:ParallelGateway': '并行网关', 'bpmn:InclusiveGateway': '包容网关',
    'bpmn:EventBasedGateway': '事件网关', 'bpmn:ComplexGateway': '复杂网关',
    'bpmn:SequenceFlow': '顺序流', 'bpmn:MessageFlow': '消息流', 'bpmn:Association': '关联',
    'bpmn:TextAnnotation': '文字注释', 'bpmn:Group': '分组', 'bpmn:DataObjectReference': '数据对象',
    'bpmn:DataStoreReference': '数据存储',
  };

  const DMN = {
    ...COMMON,
    'Add rule': '添加规则', 'Add rule above': '在上方添加规则', 'Add rule below': '在下方添加规则',
    'Remove rule': '删除规则', 'Copy rule': '复制规则', 'Cut rule': '剪切规则', 'Move rule': '移动规则',
    'Paste rule above': '粘贴规则到上方', 'Paste rule below': '粘贴规则到下方',
    'Add input': '添加输入', 'Add output': '添加输出',
    'Add input column left': '在左侧添加输入列', 'Add input column right': '在右侧添加输入列',
    'Add output column left': '在左侧添加输出列', 'Add output column right': '在右侧添加输出列',
    'Remove input column': '删除输入列', 'Remove output column': '删除输出列',
    'Copy input column': '复制输入列', 'Copy output column': '复制输出列',
    'Cut input column': '剪切输入列', 'Cut output column': '剪切输出列',
    'Paste input column left': '粘贴输入列到左侧', 'Paste input column right': '粘贴输入列到右侧',
    'Paste output column left': '粘贴输出列到左侧', 'Paste output column right': '粘贴输出列到右侧',
    'Add cell description': '添加单元格说明', 'Remove cell description': '删除单元格说明',
    'Hit policy': '命中策略', 'Hit policy:': '命中策略：', 'When': '当', 'And': '且', 'Then': '则',
    'Annotation': '注释', 'Annotations': '注释',
    'Input': '输入', 'Output': '输出', 'Input label': '输入标签', 'Input label: ': '输入标签：',
    'Input expression': '输入表达式', 'Input expression: ': '输入表达式：', 'Input type': '输入类型',
    'Input values': '输入值', 'Output label': '输出标签', 'Output label: ': '输出标签：',
    'Output name': '输出名称', 'Output name: ': '输出名称：', 'Output type': '输出类型', 'Output values': '输出值',
    'Type': '类型', 'Change type': '更改类型', 'Value': '值', 'Values': '值', 'No values': '无值',
    'Predefined values': '预定义值', 'Add predefined values': '添加预定义值', 'Clear predefined values': '清除预定义值',
    'Add values': '添加值', 'Custom values': '自定义值', 'Set value': '设置值',
    'Expression': '表达式', 'Expression language': '表达式语言', 'Expression language:': '表达式语言：',
    'Expression language: {expressionLanguageLabel}': '表达式语言：{expressionLanguageLabel}',
    'Change cell expression language': '更改单元格表达式语言', 'Enter expression': '输入表达式',
    'Editing not supported for set expression language': '此表达式语言不支持在此编辑',
    'Strings must be in double quotes': '文字需加双引号',
    'Edit': '编辑', 'Edit string': '编辑文字', 'Edit number': '编辑数字', 'Edit boolean': '编辑布尔值',
    'Edit date': '编辑日期', 'Edit date and time': '编辑日期时间', 'Edit time': '编辑时间', 'Edit duration': '编辑时长',
    'Edit input': '编辑输入', 'Edit output': '编辑输出',
    'Edit start date': '编辑开始日期', 'Edit end date': '编辑结束日期', 'Edit start time': '编辑开始时间',
    'Edit end time': '编辑结束时间', 'Edit start date and time': '编辑开始日期时间', 'Edit end date and time': '编辑结束日期时间',
    'Comparison': '比较', 'Comparison operator': '比较运算符', 'Range': '区间', 'Equals': '等于',
    'Less': '小于', 'Less or equals': '小于等于', 'Greater': '大于', 'Greater or equals': '大于等于',
    'Range start operator': '区间起点运算符', 'Range end operator': '区间终点运算符',
    'Range start value': '区间起点值', 'Range end value': '区间终点值', 'Start value': '起始值', 'End value': '结束值',
    'Match one': '匹配其一', 'Match none': '都不匹配', 'Include': '包含', 'Exclude': '排除',
    'Yes': '是', 'No': '否', 'Boolean value': '布尔值', 'String value': '文字值', 'Test type': '检验方式',
    'Date': '日期', 'Time': '时间', 'Date and time': '日期时间', 'Date value': '日期值', 'Time value': '时间值',
    'Date and time value': '日期时间值', 'Duration value': '时长值', 'Exactly': '正好', 'Before': '早于',
    'After': '晚于', 'Between': '介于', 'Start date': '开始日期', 'End date': '结束日期', 'Start time': '开始时间',
    'End time': '结束时间', 'Start date and time': '开始日期时间', 'End date and time': '结束日期时间',
    'Set date': '设置日期', 'Set time': '设置时间', 'Set date and time': '设置日期时间', 'Set duration': '设置时长',
    'Use today': '今天', 'Use now': '现在',
    'Decision name': '决策名称', 'Decision name: ': '决策名称：', 'Definition ID': '定义 ID', 'Definition name': '定义名称',
    'Variable name': '变量名', 'Variable name:': '变量名：', 'Variable type': '变量类型', 'Variable type:': '变量类型：',
    'View DRD': '查看决策需求图', 'Literal expression editor': '文字表达式编辑器', 'Resize': '调整大小',
    'Create decision': '创建决策', 'Create input data': '创建输入数据', 'Create knowledge model': '创建知识模型',
    'Create knowledge source': '创建知识来源', 'Append decision': '追加决策', 'Append input data': '追加输入数据',
    'Append business knowledge model': '追加业务知识模型', 'Append knowledge source': '追加知识来源',
    'name': '名称', 'number': '数字', 'string': '文字', 'boolean': '布尔值', 'date': '日期',
    'Open decision table': '打开决策表',
    'Unique': '唯一（UNIQUE）', 'First': '首个（FIRST）', 'Priority': '优先（PRIORITY）', 'Any': '任一（ANY）',
    'Collect': '收集（COLLECT）', 'Collect (Sum)': '收集求和', 'Collect (Min)': '收集最小值', 'Collect (Max)': '收集最大值',
    'Collect (Count)': '收集计数', 'Rule order': '规则顺序', 'Output order': '输出顺序',
    'No overlap is possible and all rules are disjoint. Only a single rule can be matched': '规则互不重叠，只能命中一条规则',
    'Rules may overlap. The first matching rule will be chosen': '规则可以重叠，取第一条命中的规则',
    'Rules may overlap. The one with the highest priority will be chosen': '规则可以重叠，取优先级最高的规则',
    'Rules may overlap. Their output have to match': '规则可以重叠，命中规则的输出必须一致',
    'Collects the values of all matching rules': '收集所有命中规则的值',
    'Collects the values of all matching rules and sums up to a single value': '收集所有命中规则的值并求和',
    'Collects the values of all matching rules and uses the lowest value': '收集所有命中规则的值并取最小值',
    'Collects the values of all matching rules and uses the highest value': '收集所有命中规则的值并取最大值',
    'Collects the values of all matching rules and counts the number of them': '统计命中规则的条数',
    'Collects the values of all matching rules in rule order': '按规则顺序收集所有命中规则的值',
    'Collects the values of all matching rules in decreasing output priority order': '按输出优先级从高到低收集命中规则的值',
  };

  // form-js's editor renders these as text, titles and placeholders.
  const FORM = {
    'Components': '组件', 'Search components': '搜索组件', 'Clear content': '清除', 'No components found.': '未找到组件',
    'Input': '输入', 'Selection': '选择', 'Presentation': '展示', 'Containers': '容器', 'Action': '操作',
    'Text field': '单行文本', 'Text area': '多行文本', 'Number': '数字', 'Date time': '日期时间', 'Expression': '表达式',
    'File picker': '文件上传', 'Checkbox': '复选框', 'Checkbox group': '多选组', 'Radio group': '单选组',
    'Select': '下拉选择', 'Tag list': '标签列表', 'Text view': '文字说明', 'Image view': '图片', 'Table': '表格',
    'HTML view': 'HTML 内容', 'Document preview': '文档预览', 'Spacer': '空白', 'Separator': '分隔线',
    'Group': '分组', 'Dynamic list': '动态列表', 'iFrame': '内嵌页面', 'Button': '按钮',
    'Build your form': '开始搭建表单', 'Drag and drop components here to start designing.': '把组件拖到这里开始设计。',
    'Use the preview window to test your form.': '用预览窗口测试表单。',
    'General': '常规', 'Condition': '显示条件', 'Validation': '校验', 'Appearance': '外观', 'Layout': '布局',
    'Options source': '选项来源', 'Static options': '固定选项', 'Custom properties': '自定义属性',
    'Serialization': '序列化', 'Constraints': '约束', 'Security attributes': '安全属性', 'Headers': '表头',
    'Field label': '字段标签', 'Label': '标签', 'Key': '键', 'ID': 'ID', 'Path': '路径', 'Value': '值',
    'Field description': '字段说明', 'Description': '说明', 'Default value': '默认值', 'Disabled': '禁用',
    'Read only': '只读', 'Required': '必填', 'Hide if': '隐藏条件', 'Minimum length': '最少字数',
    'Maximum length': '最多字数', 'Minimum': '最小值', 'Maximum': '最大值', 'Regular expression pattern': '正则表达式',
    'Validation pattern': '校验格式', 'Custom': '自定义', 'Email': '电子邮箱', 'Phone': '电话',
    'Prefix': '前缀', 'Suffix': '后缀', 'Columns': '列宽', 'Auto': '自动', 'Text': '文字', 'Content': '内容',
    'Decimal digits': '小数位数', 'Increment': '步长', 'Subtype': '子类型', 'Date label': '日期标签',
    'Time label': '时间标签', 'Use 24h': '24 小时制', 'Disallow past dates': '不允许过去的日期',
    'Time interval': '时间间隔', 'Time format': '时间格式', 'Searchable': '可搜索', 'Checked': '选中',
    'Not checked': '未选中', 'Type': '类型', 'Submit': '提交', 'Reset': '重置', 'Height': '高度',
    'Alternative text': '替代文字', 'Image source': '图片地址', 'Input values key': '输入值键',
    'Show outline': '显示边框', 'Vertical alignment': '垂直对齐', 'Top': '顶部', 'Center': '居中', 'Bottom': '底部',
    'Delete': '删除', 'Remove': '删除', 'Create': '新建', 'Toggle section': '展开/收起',
    'Create new list item': '新建一项', 'Delete item': '删除此项', 'Toggle list item': '展开/收起此项',
    'Open documentation': '打开文档', '<empty>': '（空）', '<none>': '（无）',
    'Section contains an error': '本节有错误', 'Section contains edits': '本节已修改',
    'Accepted file types': '允许的文件类型', 'Upload multiple files': '允许多个文件',
    'Binds to a form variable': '数据保存在此变量名下', 'Condition under which the field is hidden': '满足此条件时隐藏字段',
    'Allows arbitrary precision values': '允许任意精度的数值',
    'Define an expression to calculate the value of this field': '用表达式计算此字段的值',
    'Define an expression to populate the options from.': '用表达式生成选项',
    'Define which input property to populate the values from': '从哪个输入属性取选项',
    'Expression or static value (link/data URI)': '表达式或固定值（链接 / data URI）',
    'Height of the container in pixels.': '容器高度（像素）',
    'Where the child variables of this component are pathed to.': '子字段数据保存的路径',
    'Static': '固定选项', 'Input data': '输入数据',
  };

  const missing = new Set(); // texts asked for that have no Chinese yet, for tests and translators
  function translator(dict) {
    return function translate(template, replacements) {
      let text = dict[template];
      if (text === undefined) {
        missing.add(template);
        text = template;
      }
      return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
    };
  }

  function module(dict) {
    return { translate: ['value', translator(dict)] };
  }

  // For editors without a translate service: replace whole texts, titles and placeholders as they render,
  // except inside `skip` (what the owner wrote, e.g. the form being edited).
  function localiseTree(root, dict, skip) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const trimmed = node.data.trim();
      const text = trimmed && dict[trimmed];
      if (text && text !== trimmed && !(skip && node.parentElement.closest(skip))) {
        node.data = node.data.replace(trimmed, text);
      }
    }
    root.querySelectorAll('[placeholder], [title], [aria-label]').forEach((el) => {
      if (skip && el.closest(skip)) return;
      ['placeholder', 'title', 'aria-label'].forEach((name) => {
        const value = el.getAttribute(name);
        const text = value !== null && dict[value.trim()];
        if (text && text !== value) el.setAttribute(name, text);
      });
    });
  }

  function localise(root, dict, skip) {
    new MutationObserver(() => localiseTree(root, dict, skip))
      .observe(root, { childList: true, subtree: true, characterData: true, attributes: true,
        attributeFilter: ['placeholder', 'title', 'aria-label'] });
    localiseTree(root, dict, skip);
  }

  return { BPMN, DMN, FORM, TYPES, module, translator, localise, missing };
})();
