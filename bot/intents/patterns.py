"""The parser's word lists and compiled patterns: references, quantities, intent words, names, defect filler."""

from __future__ import annotations

import re

from bot.intents.numbers import CN_NUMBER

# --- references and numbers ------------------------------------------------------------------------
KS_NUMBER = re.compile(r"(?i)(?<![A-Za-z])ks[-_ ]?(\d{6})[-_ ]?(\d{1,4})(?!\d)")
RMA_NUMBER = re.compile(r"(?i)(?<![A-Za-z])rma[-_ ]?(\d{6})[-_ ]?(\d{1,4})(?!\d)")
ORDER_NO = re.compile(
    r"(?i)(?:订单号?|单号|order(?:\s*no\.?)?)?[::#\s]*"
    r"(?<![A-Za-z0-9])((?:SO|MO|PO)[-_ ]?\d(?:[\d-]*\d)?)(?![A-Za-z0-9])",
)
# A sign is read as written (-5个 is not 5个); "-" between two words is a separator (X200-5个, 划伤-5个).
NUM = rf"(?<![几\d.])(?P<sign>[-−]\s*|负)?(?P<num>\d+(?:,\d{{3}})*(?:\.\d+)?\s*(?:万|千|百|k|w)?|{CN_NUMBER})(?!几)"
UNIT = r"(?:个|pcs|pc|件|台|只|片|套|箱|支|块|颗|条|卷|张|根|盒|包|组|粒|双|把|units?|sets?|pieces?)"
QTY_WITH_UNIT = re.compile(rf"(?i){NUM}\s*(?:多)?\s*{UNIT}(?![月点a-z])(?:\s*左右)?")
QTY_LEAD = re.compile(
    rf"(?i)(?:一共|共计|共|总共|总计|涉及|不良数|不良数量|数量(?:是|为|有)?|qty|大概|大约|约|差不多|退回|退货|退了|退)\s*[::]?\s*{NUM}(?![\d.])(?!\s*(?:mm|cm|度|%|℃|v|a|w\b))",
)
MODEL_CODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,5}[-_ ]?\d{1,5}[A-Za-z]{0,2}(?:-[A-Za-z0-9]{1,4})?)(?![A-Za-z0-9])"
)
NOT_A_MODEL = re.compile(r"(?i)^(ks|rma|so|mo|po|8d|pcs|qe|pcb|dc|ac|usb|hdmi)\d*$|^\d")
URGENT = re.compile(
    r"(?i)(?<!不)(?<!不是很)(?<!不太)(?<!不用)(?<!不着)(?<!不是)(?:急|马上|尽快|今天要|今天之内|今日内|当天|立刻|立即|火速|asap|urgent)",
)
MONTH_WORDS = re.compile(
    r"(?i)(本月|这个?月|当月|上上?个?月|\d{1,2}\s*月|[一二三四五六七八九十]{1,3}月|last month|this month|monthly|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)",
)

# --- intent words ----------------------------------------------------------------------------------
CANCEL = re.compile(
    r"(?i)^(取消|撤销|撤回|算了|不要了|不用了|作废|删掉|删除草稿|退出|cancel|别登记了?|不登记了|不算)"
    r"(吧|了|一下|草稿|这单|这个|刚才的?操作|刚才的?)?$",
)
CANCEL_LOOSE = re.compile(r"(?i)(取消|撤销|撤回|不算|别登记|不用登记|不要了|作废|打错了|发错了|不弄了|不搞了|cancel)")
HELP = re.compile(
    r"(?i)^/?(帮助|help|\?+|菜单|menu|怎么用|如何使用|使用说明|你能做什么|你会什么|能干嘛|有什么功能|功能|指令|命令|说明)$",
)
HELP_LOOSE = re.compile(
    r"(?i)(怎么用|咋用|如何用|你能做什么|你会做什么|能干啥|能干嘛|都能干|能帮我做什么|有哪些功能|有什么功能|哪些命令|"
    r"什么命令|使用说明|怎么登记|如何登记|怎么报|怎么提交|怎么操作|如何操作|不会用|教教我|教我用|看不懂|"
    r"how (do|to) (i )?use|what can you do|help me)",
)
TASKS = re.compile(
    r"(?i)(待办|待审批|待审核|待处理|待我|要我批|要我审|要我签|需要我(?!们)|我的任务|我还有|我手上|我名下|我这边有|"
    r"还有(什么|啥|哪些).{0,8}(没|未)|我有哪些|(没|未)(跟进|处理|结案)|超期|逾期|过期的|超时的|卡着|"
    r"my tasks|todo|to-do|"
    r"pending|有啥要我|有什么要我|等我|我要批|我要审|我今天要干|我该做|过了.{0,6}期限|超过.{0,4}期限|快到期|到期了)",
)
SUMMARY = re.compile(
    r"(?i)(汇总|统计|月报|月度|报表|总结|小结|summary|report|分析|数据|情况表|排行|及时率|多少单|几单|多少起|多少个投诉|"
    r"多少投诉|多少客诉|top\s*\d|分布|对比|趋势|排名|占比|按.{0,6}分)",
)
STATUS = re.compile(
    r"(?i)(进度|状态|处理到哪|到哪了|到哪一步|到谁那|在谁那|谁在处理|怎么样了|咋样了|如何了|有结果|结果出来|进展|跟进情况|"
    r"status|progress|update on|处理得怎么样|处理好了(吗|没)|好了没|完成了(吗|没)|什么情况|结案了(吗|没)|"
    r"有回复了?(吗|没)|"
    r"处理完了?(吗|没)|查一下|查下|查查|查询|查一查|在催|批下来|下来了?没|批了(吗|没)|回复了(吗|没)|有消息(吗|没)|"
    r"出来了(吗|没)|判定|any update|update on)",
)
RETURN = re.compile(
    r"(?i)(退货|退回|退换|申请退|要退|想退|退\s*\d|退[一二两三四五六七八九十百千万几]|开个?\s*rma|need an? rma|"
    r"申请个?\s*rma|rma\s*申请|"
    r"\breturn\b|send back|退给我们)",
)
CUSTOMER_INFO = re.compile(r"(联系人|联系方式|客户资料|客户档案|电话)")
ARCHIVE_WORDS = re.compile(r"(客户资料|客户档案)")
KEY_CUSTOMER = re.compile(r"((申请|认定|提名|设为|列为|推荐).{0,8}重点客户|重点客户.{0,4}(申请|认定|提名))")
VISIT = re.compile(r"(?i)(拜访|走访|回访|visit|上门|去了一?趟|跑了一?趟|见了.{0,6}客户|登门|拜会)")
COMPLAINT = re.compile(
    r"(?i)(投诉|客诉|抱怨|反馈|反映|客户说|complain|complaint|quality issue|品质问题|质量问题|品质异常|质量异常|不良)",
)
DEFECT = re.compile(
    r"(?i)(划伤|划痕|刮花|刮伤|擦伤|裂|破|碎|变形|弯|翘|漏|渗|异响|噪音|噪声|响|不亮|短路|烧|焦|氧化|生锈|锈|色差|颜色|"
    r"尺寸|偏|超差|毛刺|毛边|披锋|批锋|脏|污|缺|少发|错发|漏发|少了|发错|不一致|松|脱落|掉|断|卡|死机|失灵|失效|故障|"
    r"发热|过热|温升|温度|虚焊|气泡|起泡|气纹|掉漆|脱漆|模糊|受潮|霉|装不上|配合|公差|不通电|无法|不能|异常|偏差|"
    r"接触不良|开裂|凹|凸|缩水|变色|发黄|发黑|字迹|印错|贴错|混料|混了|起皮|掉色|不转|抖|振动|重启|没反应|坏|瑕疵|"
    r"次品|不合格|不达标|超标|不足|不够|不对|不符|不良|冒烟|炸|光衰|闪|暗|错误|不稳|纹波|跑飞|不起振|无输出|割手|"
    r"异味|分层|生锈|歪|堵|不牢|间隙|太薄|太厚|太短|太长|太大|太小|太松|太紧|偏位|丢|花屏|黑屏|白屏|不均|死灯|死|锡珠|"
    r"少打|漏打|多打|少装|漏装|错装|装反|反了|滑牙|发烫|发白|变黄|压不紧|不紧|花|压伤|压痕|粘连|报警|融|熔|melt|太[软硬松紧大小薄厚短长重轻亮暗快慢高低]|"
    r"不(?:充电|启动|工作|开机|动作|吸合|导通|出水|出风|平|齐|全|干净|匹配|识别|响应)|"
    r"overheat|scratch|crack|broken|defect|leak|noise|noisy|loud|rust|loose|fail|damag|dent|faulty|flicker|peel|"
    r"wrong|missing|bent|burn|short|dead)",
)
NEGATIVE = re.compile(
    r"(报价|货款|付款|回款|发票|验厂|审核|下单|下个单|订货|询价|交期|对账|开会|吃饭|午饭|请假|快递|约.{0,6}见面|样品|送样|寄)"
)
ENGLISH_REPORT = re.compile(r"(?i)\b(said|says|say|reports?|reported|found|complain\w*|claims?)\b")

# --- order review (合同评审) -----------------------------------------------------------------------
# Recognised only by its own words: 下单/订单 alone stay unknown (NEGATIVE).
REVIEW = re.compile(
    r"(?i)(?:帮我|帮忙|麻烦|请)*(?:提交|发起|申请|走|做|安排|开)?(?:一下|一个|个)?(?:合同|订单|新单|新订单)?评审(?:一下)?"
    r"|order\s*review",
)
REVIEW_QUESTION = re.compile(r"(评审会|开会|会议|几点|什么时候|何时|哪天|吗|呢|\?|结果|进度|怎么|如何|多久)")
REQUIREMENTS = re.compile(
    r"(?i)(?:特殊要求|客户要求|技术要求|品质要求|质量要求|包装要求|其他要求|其它要求|要求|备注|注明|requirements?|remarks?)"
    r"\s*[::]?\s*",
)

# Product nouns a factory ships; used when no code or catalogue name is written (塑胶外壳, 电源适配器).
PRODUCT_NOUN = re.compile(
    r"(?i)((?:塑胶|塑料|金属|铝|不锈钢|电源|充电|LED|USB|HDMI|DC-DC|AC)?"
    r"(?:适配器|外壳|线束|铝壳|电机|马达|遥控器|充电器|连接器|变压器|风扇|螺丝|螺母|散热片|灯板|电源板|控制板|支架|"
    r"显示屏|屏幕|电池|线材|数据线|插头|端子|模块|传感器|开关|继电器|电感|电容|面板|机壳|壳体|线|灯管|灯条))",
)

# --- customers not in the catalogue ----------------------------------------------------------------
COMPANY_SUFFIX = (
    "有限公司|股份公司|公司|科技|电子|电器|五金|精密|实业|集团|代工厂|配套厂|工厂|制造|光电|塑胶|机电|电机|汽车|通讯|"
    "医疗|照明|家电|贸易|器材|材料|电气|智能|新能源|半导体|模具|包装|厂"
)
NAME = r"[\u4e00-\u9fa5A-Za-z][\u4e00-\u9fa5A-Za-z0-9&.]{1,11}?"
COMPANY = re.compile(
    rf"([\u4e00-\u9fa5A-Za-z]{{2,10}}?(?:{COMPANY_SUFFIX}))(?=的|那边|这边|说|称|于|在|投诉|反馈|反映|来电|电话|要|又|[,:;/#]|\s|$)"
)
BEFORE_VERB = re.compile(
    rf"(?:^|(?<=[\s,.;:!~/#]))(?:客户)?({NAME})\s*(?:那边|这边|的采购|的品质|的QE)?(?:又)?"
    r"(?:投诉|客诉|反馈|反映|抱怨|来电|打电话|电话说|说|要求|要退|申请|那单|那个|的)"
)
RECEIVED_FROM = re.compile(rf"(?:接到|收到|来自)({NAME})(?:的)?(?:电话|邮件|微信|投诉|反馈|消息|来电)")
CUSTOMER_LABEL = re.compile(rf"(?i)(?:客户|customer)(?:名称)?\s*[::]\s*({NAME})(?=的|说|反馈|投诉|那边|[,,。;;\s]|$)")
LEADING_NAME = re.compile(rf"^({NAME})(?=\s*:|\s+\S)")
ENGLISH_CUSTOMER = re.compile(
    r"(?i:customer|client|for|from|visit log|the)\s*:?\s*([A-Z][A-Za-z0-9&.-]*)"
    r"(?=\s*(?:QA|QE|,|:|complaint|case|return|$|\s))"
)
ENGLISH_SAYS = re.compile(r"(?<![A-Za-z])([A-Z][A-Za-z0-9&.-]+)\s*(?:说|反馈|反映|投诉)")
ENGLISH_LEAD = re.compile(
    r"(?i)^(?:the customer\s+)?([A-Z][A-Za-z0-9&.-]+)(?:\s+QE)?(?:\s+email)?\s*[:,]?\s+"
    r"(?:complain|report|says|said|found|return|want|is|has|asks)",
)
VISIT_CUSTOMER = re.compile(
    rf"(?i)(?:拜访|走访|回访|visit(?:ed)?(?:\s*log)?\s*:?|去了?一?趟|去了?|见了|登门|拜会)\s*(?:了|过)?\s*(?:客户)?({NAME})"
    r"(?=的|,|,|。|\s|$|聊|沟通|谈|客户|那边|一趟|了|拜访|走访)",
)
NOT_A_NAME = re.compile(
    r"(?i)^(我|你|他|她|它|有|没|怎么|如何|请问|帮我|新增|记录|上|本|这|那|今|昨|明|刚|客户|老客户|新客户|品质|质量|产品|货|"
    r"麻烦|请|又|再|还|一个|有个|the|our|we|they|it|this|that|i|need|please|new|monthly|customer|client|status|"
    r"return|visited|visit|jabil reports|from|email|any|hi|hello|ok|fyi|re|fw|fwd)$|"
    r"^(有|我|你|这|那|上次|上回|下次)|(月|周|星期|报的|那个|这个|超时|登记|记录|情况|问题|什么|哪|吗|呢|一下|投诉|客诉|反馈|反映|退|申请|查|状态|进度|"
    r"说|要|帮|收到|通知|贵司|我司|异常|又|一单|特此|兹|报告|hhh)",
)
NAME_PREFIX = re.compile(
    r"^(?:刚接到|刚刚|刚才|刚|今天|今日|昨天|上午|下午|早上|晚上|又|再次|接到|收到|麻烦|请|帮忙|帮我看下|帮我查下|看下|查下|"
    r"查一下|查查|帮我查查|帮我查|看看|帮我记下|记下|特此反馈|特此|兹有|兹|报告|喂|我刚刚|"
    r"回访|拜访|走访|老客户|新客户|客户|那个|这个)+"
)
NAME_SUFFIX = re.compile(r"(?:有限公司|股份公司|公司|那边|这边|那单|这单|的采购|的品质|拜访|走访|了|的)+$")

# --- defect phrase ---------------------------------------------------------------------------------
FIELD_LABELS = re.compile(
    r"(客户|产品|品名|型号|问题|不良现象|不良数|不良|现象|描述|数量|订单号?|严重度|紧急程度|处理要求)\s*[::]"
)
BOUNDARY = re.compile(r"(大概|一共|总共|共计|数量|然后|让我们|要我们|请予以|请|麻烦|客户要求|望|不对是)")
SEGMENT = re.compile(r"[,;。!?、\s:()\[\]【】\"'“”…~|/#]+")
EDGE_FILLER = (
    r"刚接到|接到|收到|刚刚|刚才|刚|来邮件|来电|电话|邮件|微信|客户|投诉|客诉|反馈了?个问题|反馈|反映|抱怨|说|讲|我们的|我们|"
    r"我司|他们|他们的|一共|总共|共计|涉及|数量|左右|大概|大约|约|请|麻烦|帮忙|帮我|登记一下|登记|记一下|先记|那边|这边|"
    r"有个投诉|有|出现了?|发现了?|存在|都|全部|部分|一部分|个别|有一部分|批量|这批|那批|上周那批|这一批|货|产品|的|了|啊|吧|"
    r"呢|哦|呀|嘛|又来了|先|装上以后|装上后|用了|使用中|问题|的问题|情况|现象|处理|跟进|回复|答复|尽快|请尽快|马上|要|需要|"
    r"要求|给说法|给答复|明天|今天|急件|加急|紧急|急+|不急|下周|现在|还没说|具体|还在清点|清点|又来|里面|上|在|"
    r"贵司供应的|贵司|我司|检验中|通知|品质异常通知|质量异常通知"
)
EDGE_EN = (
    r"said|says|say|the|a|an|about|that|its|their|our|we|they|is|are|were|was|too|very|pcs|units|email|qe|"
    r"complained|complain|complains|reported|reports|found|need|8d|asap|please|handle|affected|customer|of|with|has|have"
)
EDGE = re.compile(rf"(?i)^(?:{EDGE_FILLER})+|(?:{EDGE_FILLER})+$")
EDGE_WORDS_EN = re.compile(rf"(?i)^(?:(?:{EDGE_EN})\b\s*)+|(?:\s*\b(?:{EDGE_EN}))+$")
PARTICLES = "的了吧啊呢哦呀嘛"

# Common traditional characters, so 華為反饋 reads as 华为反馈.
TRADITIONAL = str.maketrans(
    "為饋燒數質問題單號貨個臺報處電訂發現產錯壞響亂裝說這邊們過來時後會與對開關門顏無體來點頭買賣務廠"
    "續備應戶價據議識導標準確實際驗證檢測試業務齊機構種類設計製條頁長間聯繫絡網線紅藍黃綠華況閃爍漏裂劃傷",
    "为馈烧数质问题单号货个台报处电订发现产错坏响乱装说这边们过来时后会与对开关门颜无体来点头买卖务厂"
    "续备应户价据议识导标准确实际验证检测试业务齐机构种类设计制条页长间联系络网线红蓝黄绿华况闪烁漏裂划伤",
)

# --- which of several quantities; bare numbers that are not counts ----------------------------------
AFFECTED = re.compile(r"(?i)(挑出|查出|选出|其中|里面|中有|不良数?|坏了|发现|有问题的|affected)\S{0,4}$")
BARE_QTY = re.compile(rf"(?i)(?:^|(?<=[\s,;。/#|]))(?:{NUM})(?=$|[\s,;。/#|])")

# A bare number that names something else: a mobile number, one with a leading zero (0755), a long code.
NOT_A_COUNT = re.compile(r"^(?:1[3-9]\d{9}|0\d+|\d{10,})$")
NUMBER_OF = re.compile(
    r"(?i)(电话|手机|tel|phone|联系|微信|qq|单号|订单|批号|批次|编号|工号|sn|条码|lot|no\.?)\W{0,3}$"
)
