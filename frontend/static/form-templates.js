/* Ready templates for the standard forms of the rules text. Each build()
 * returns a form for PUT /cycles/{cycle}/forms/{code}; its code is the
 * template's id (forms.js makes it unique), so a clerk never invents one.
 * forms.js lets the organizer change anything before saving. */
(function () {
  'use strict';
  function good() { return { type: 'grade', options: [{ label: '好', value: 1 }, { label: '较好', value: 0.8 }, { label: '一般', value: 0.6 }, { label: '差', value: 0 }] }; }
  function competent() { return { type: 'grade', options: [{ label: '优秀', value: 1 }, { label: '称职', value: 0.8 }, { label: '基本称职', value: 0.5 }, { label: '不称职', value: 0 }] }; }
  function score(min, max) { return { type: 'score', min: min, max: max }; }
  function report(what) {
    return [
      { code: 'dem', title: '民主测评（' + what + '年度目标任务完成情况）', purpose: 'democratic', subjects: ['host'], scale: good() },
      { code: 'team', title: '领导班子测评', purpose: 'team', subjects: ['host'], scale: competent() },
      { code: 'cadre', title: '科级干部测评（德能勤绩廉）', purpose: 'cadre', subjects: ['people:host'], scale: competent(),
        dimensions: ['德', '能', '勤', '绩', '廉'], limits: [{ options: ['优秀'], max_share: 0.3 }] },
      { code: 'integrity', title: '党风廉政建设测评', purpose: 'integrity', subjects: ['host'], scale: good() },
      { code: 'recommend', title: '无任用推荐（后备干部，最多推荐 2 人）', purpose: 'recommend', subjects: ['people:host'], scale: { type: 'choose', max: 2 }, required: false }
    ];
  }
  window.CepingFormTemplates = [
    { id: 'town-report', name: '镇工作报告大会测评表', note: '民主测评、领导班子、科级干部（德能勤绩廉，优秀不超过 30%）、党风廉政、无任用推荐；测评的是本次会议的被考核单位（镇）',
      build: function () { return { code: 'town-report', title: '镇年度工作报告大会测评表', sections: report('本镇') }; } },
    { id: 'dept-report', name: '部门工作报告大会测评表', note: '同上，用于县级部门的工作报告大会；测评的是本次会议的被考核单位（部门）',
      build: function () { return { code: 'dept-report', title: '县级部门年度工作报告大会测评表', sections: report('本部门') }; } },
    { id: 'town-mutual', name: '单位互评表（镇党委班子成员评价县级部门）', note: '镇工作报告大会上由镇党委班子成员为各县级部门打分（0–100）',
      build: function () { return { code: 'town-mutual', title: '单位互评表（评价县级部门）', sections: [
        { code: 'mutual', title: '单位互评', purpose: 'mutual', subjects: ['kind:department'], scale: score(0, 100) }] }; } },
    { id: 'dept-mutual', name: '单位互评表（部门领导班子成员评价各镇）', note: '部门工作报告大会上由部门领导班子成员为各镇打分（0–100）',
      build: function () { return { code: 'dept-mutual', title: '单位互评表（评价各镇）', sections: [
        { code: 'mutual', title: '单位互评', purpose: 'mutual', subjects: ['kind:town'], scale: score(0, 100) }] }; } },
    { id: 'town-social', name: '社会评价表（镇工作报告大会）', note: '本镇党代表、人大代表、政协委员、群众代表评价本镇',
      build: function () { return { code: 'town-social', title: '社会评价表', sections: [
        { code: 'social', title: '社会评价', purpose: 'social', subjects: ['host'], scale: good() }] }; } },
    { id: 'conference', name: '全县领导干部大会评价表', note: '评价各镇和县级各部门年度目标任务完成情况',
      build: function () { return { code: 'conference', title: '全县领导干部大会评价表', sections: [
        { code: 'towns', title: '各镇年度目标任务完成情况评价', purpose: 'conference', subjects: ['kind:town'], scale: good() },
        { code: 'depts', title: '县级各部门年度目标任务完成情况评价', purpose: 'conference', subjects: ['kind:department'], scale: good() }] }; } },
    { id: 'deputies', name: '社会评价表（代表委员评价县级部门）', note: '县党代会代表、人大代表、政协委员测评县级各部门',
      build: function () { return { code: 'deputies', title: '县级部门社会评价表', sections: [
        { code: 'social', title: '社会评价', purpose: 'social', subjects: ['kind:department'], scale: good() }] }; } },
    { id: 'group', name: '考核组评价表', note: '考核组成员为本次会议的被考核单位打分（0–100）',
      build: function () { return { code: 'group', title: '考核组评价表', sections: [
        { code: 'group', title: '考核组评价', purpose: 'group', subjects: ['host'], scale: score(0, 100) }] }; } },
    { id: 'recommend', name: '无任用推荐表', note: '从本次会议的被考核单位的人员中最多推荐 N 人（可修改人数和候选人）',
      build: function () { return { code: 'recommend', title: '领导班子后备干部无任用推荐表', sections: [
        { code: 'recommend', title: '无任用推荐（最多推荐 2 人）', purpose: 'recommend', subjects: ['people:host'], scale: { type: 'choose', max: 2 }, required: false }] }; } }
  ];
})();
