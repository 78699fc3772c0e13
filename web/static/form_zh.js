// form-js has no Chinese: its fixed texts and its own validation messages are put into Chinese here,
// so a clerk never meets English on a form.
window.zhunruFormZh = (function () {
  'use strict';
  const MESSAGES = [
    [/^Field is required\.$/, () => '必填'],
    [/^Field must have minimum length of (\d+)\.$/, (m) => `至少 ${m[1]} 个字`],
    [/^Field must have maximum length of (\d+)\.$/, (m) => `最多 ${m[1]} 个字`],
    [/^Field must have minimum value of (.+)\.$/, (m) => `不能小于 ${m[1]}`],
    [/^Field must have maximum value of (.+)\.$/, (m) => `不能大于 ${m[1]}`],
    [/^Field must match pattern /, () => '格式不正确'],
    [/^Field must be a valid email\.$/, () => '电子邮箱格式不正确'],
    [/^Field must be a valid +international phone number/, () => '电话号码格式不正确'],
    [/^Value is not a number\.$/, () => '应为数字'],
    [/^Value is expected to be an integer\.$/, () => '应为整数'],
    [/^Value is expected to have at most (\d+) decimal digit/, (m) => `最多 ${m[1]} 位小数`],
    [/^Date and time must both be entered\.$/, () => '日期和时间都要填写'],
  ];
  const TEXTS = [
    [/^Add new$/, () => '添加一行'],
    [/^Collapse$/, () => '收起'],
    [/^Expand all \((\d+)\)$/, (m) => `展开全部（${m[1]}）`],
    [/^Browse$/, () => '选择文件'],
    [/^No files selected$/, () => '未选择文件'],
    [/^(\d+) files selected$/, (m) => `已选择 ${m[1]} 个文件`],
    [/^Select$/, () => '请选择'],
    [/^Search$/, () => '搜索'],
    [/^Remove list item (\d+)$/, (m) => `删除第 ${m[1]} 行`],
    [/^Remove tag$/, () => '删除'],
  ];

  function translate(rules, text) {
    const trimmed = text.trim();
    for (const [pattern, render] of rules) {
      const match = trimmed.match(pattern);
      if (match) return text.replace(trimmed, render(match));
    }
    return text;
  }

  function localise(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = translate(TEXTS, node.data);
      if (text !== node.data) node.data = text;
    }
    root.querySelectorAll('[placeholder], [aria-label], [title]').forEach((el) => {
      ['placeholder', 'aria-label', 'title'].forEach((name) => {
        const value = el.getAttribute(name);
        const text = value === null ? value : translate(TEXTS, value);
        if (text !== value) el.setAttribute(name, text);
      });
    });
  }

  return function install(form, container) {
    const validator = form.get('validator');
    ['validateField', 'validateFieldInstance'].forEach((name) => {
      const original = validator[name].bind(validator);
      validator[name] = (...args) => original(...args).map((message) => translate(MESSAGES, message));
    });
    // form-js redraws parts of the form as it is filled (rows added, files chosen).
    new MutationObserver(() => localise(container))
      .observe(container, { childList: true, subtree: true, characterData: true });
    localise(container);
  };
})();
